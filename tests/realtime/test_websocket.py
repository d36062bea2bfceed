"""The GraphQL WebSocket of a live daphne server, spoken to as clients do."""

import asyncio
import datetime as dt

import pytest
import websockets

from tests.realtime.client import connect

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

SERVER_TIME = """
subscription Clock($every: Int!, $count: Int!) {
  serverTime(intervalSeconds: $every, count: $count)
}
"""


async def test_a_subscription_streams_its_events_then_completes(live_server_url):
    """connection_init is acked; `next` comes at each tick, then `complete`."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        assert (await ws.init())["type"] == "connection_ack"
        operation = await ws.subscribe(SERVER_TIME, {"every": 1, "count": 2})
        ticks = [await ws.receive() for _ in range(2)]
        done = await ws.receive()
    assert [tick["type"] for tick in ticks] == ["next", "next"]
    assert {tick["id"] for tick in ticks} == {operation}
    times = [
        dt.datetime.fromisoformat(t["payload"]["data"]["serverTime"]) for t in ticks
    ]
    assert all(time.tzinfo is not None for time in times)
    assert times[1] - times[0] >= dt.timedelta(seconds=1)
    assert done == {"id": operation, "type": "complete"}


async def test_bad_subscription_input_gets_a_coded_error(live_server_url):
    """A refused subscription answers BAD_USER_INPUT; the socket stays open."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init()
        refused = await ws.subscribe(SERVER_TIME, {"every": 0, "count": 1})
        answer = await ws.receive()
        # The error is raised by the subscription: it comes as a result, then ends.
        assert answer["id"] == refused
        assert answer["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert await ws.receive() == {"id": refused, "type": "complete"}
        # the connection still works
        operation = await ws.subscribe(SERVER_TIME, {"every": 1, "count": 1})
        assert (await ws.receive())["id"] == operation


async def test_the_legacy_graphql_ws_protocol_is_refused(live_server_url):
    """Only graphql-transport-ws is spoken: a legacy client is closed with 4406."""
    async with connect(
        f"{live_server_url}/graphql/", subprotocols=["graphql-ws"]
    ) as ws:
        assert ws.socket.subprotocol is None
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            await ws.init()
    assert closed.value.rcvd.code == 4406


async def test_a_page_of_another_origin_cannot_open_the_socket(live_server_url):
    """The handshake's Origin must be one of the allowed hosts."""
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with connect(f"{live_server_url}/graphql/", origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


async def test_a_page_of_the_same_host_on_another_port_cannot_open_it(live_server_url):
    """Same host name, other port: another origin, refused."""
    other = live_server_url.rsplit(":", 1)[0] + ":1"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with connect(f"{live_server_url}/graphql/", origin=other):
            pass
    assert refused.value.response.status_code == 403


async def test_a_page_of_an_allowed_host_opens_the_socket(live_server_url):
    """GraphiQL served by the app itself connects from its own origin."""
    async with connect(f"{live_server_url}/graphql/", origin=live_server_url) as ws:
        assert (await ws.init())["type"] == "connection_ack"


async def test_queries_also_run_over_the_socket(live_server_url):
    """A query sent on the socket answers once, then completes."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init()
        operation = await ws.subscribe("{ viewer { id } }")
        assert await ws.receive() == {
            "id": operation,
            "type": "next",
            "payload": {"data": {"viewer": None}},
        }
        assert (await ws.receive())["type"] == "complete"


async def test_a_socket_without_connection_init_is_closed_with_4408(live_server_url):
    """A client that never sends connection_init is closed after 10 seconds."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            async with asyncio.timeout(15):
                await ws.socket.recv()
    assert closed.value.rcvd.code == 4408


async def test_limits_and_codes_apply_over_the_socket(live_server_url):
    """An operation past a limit is refused on the socket with its code."""
    too_many = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(31)) + " }"
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init()
        operation = await ws.subscribe(too_many)
        answer = await ws.receive()
        assert answer["id"] == operation
        assert answer["type"] == "error"
        assert answer["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        # a bad cursor, refused while resolving
        operation = await ws.subscribe('{ users(after: "garbage") { totalCount } }')
        answer = await ws.receive()
        assert answer["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_idle_socket_stays_open_and_answers(live_server_url):
    """A socket quiet for longer than Redis' read timeouts still works (channel
    layers block on Redis for 5 s at a time)."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init()
        await asyncio.sleep(7)
        operation = await ws.subscribe("{ viewer { id } }")
        assert (await ws.receive())["id"] == operation
