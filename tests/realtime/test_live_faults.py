"""Faults of the services behind live updates, against the real services: Redis
goes away and comes back, PostgreSQL drops every connection (issue 6, part 7).

Events are hints and the queries are the truth: while Redis is down, HTTP keeps
working and loses nothing, sockets are closed so that clients resync, and push
resumes on its own once Redis is back, without restarting the server.
"""

import asyncio
import shutil
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from websockets.exceptions import ConnectionClosed, InvalidStatus

from social.actions.auth import token_issue
from social.models import Role
from tests.conftest import make_user, require
from tests.live import PrivateRedis, running_server
from tests.realtime.client import connect, http_graphql
from tests.realtime.live import (
    FEED_EVENTS,
    closed,
    health,
    next_event,
    subscribe_live,
    until_idle,
)

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

CREATE_POST = """
mutation Post($body: String!) {
  createPost(input: {body: $body}) { post { id } errors { code } }
}
"""
FEED = "{ feed(first: 10) { edges { node { id body } } } }"
LOGIN = """
mutation Login($password: String!) {
  login(input: {identifier: "bruno", password: $password}) {
    token errors { code }
  }
}
"""
PASSWORD = "a-long-test-password"
# What the server may take to notice Redis is gone (LIVE_LAYER_CHECK_SECONDS=1
# and the layer's own timeouts), and to take it back.
NOTICE_SECONDS = 15


@pytest.fixture
def tokens(db) -> dict[str, str]:
    camille = make_user("camille", role=Role.COMMUNICATOR)
    bruno = make_user("bruno")
    # A hash the live server verifies (the tests' MD5 is not among its hashers),
    # cheap to check: PBKDF2 with few rounds.
    bruno.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltysalt", 1000)
    bruno.save(update_fields=["password"])
    return {user.username: token_issue(user=user) for user in (camille, bruno)}


async def create_post(base_url: str, token: str, body: str) -> str:
    answer = await http_graphql(base_url, CREATE_POST, {"body": body}, token)
    assert "errors" not in answer, answer
    assert answer["data"]["createPost"]["errors"] == [], answer
    return answer["data"]["createPost"]["post"]["id"]


async def signed_in(ws, token: str) -> None:
    ack = await ws.init({"authorization": f"Bearer {token}"})
    assert ack["type"] == "connection_ack", ack


async def turned_away(base_url: str, token: str) -> int | str:
    """Open a socket and return how it was refused: its close code, or
    "handshake" when the server refused the WebSocket itself."""
    try:
        async with connect(f"{base_url}/graphql/") as ws:
            try:
                answer = await ws.init({"authorization": f"Bearer {token}"})
            except ConnectionClosed as closing:
                return closing.rcvd.code if closing.rcvd else "no close frame"
            raise AssertionError(f"a socket was let in while Redis is down: {answer}")
    except InvalidStatus as refused:
        return f"handshake {refused.response.status_code}"


async def until_health(base_url: str, status: int) -> dict:
    deadline = time.monotonic() + NOTICE_SECONDS
    while True:
        code, body = await asyncio.to_thread(health, base_url)
        if code == status:
            return body
        assert time.monotonic() < deadline, (code, body)
        await asyncio.sleep(0.2)


async def until_subscribed(base_url: str, token: str, stack, seconds: float):
    """Open a socket and subscribe to the feed as soon as the server lets one
    in and listens for it again; return the socket and the operation. A socket
    the server closes meanwhile (4503) is opened again, as clients do."""
    deadline = time.monotonic() + seconds
    attempts = []
    while True:
        try:
            ws = await stack.enter_async_context(connect(f"{base_url}/graphql/"))
            await signed_in(ws, token)
            operation = await ws.subscribe(FEED_EVENTS)
            while ws.socket.close_code is None:
                _, body = await asyncio.to_thread(health, base_url)
                if body["live"]["subscriptions"] >= 1:
                    return ws, operation
                assert time.monotonic() < deadline, (
                    f"the subscription never listened; before: {attempts}"
                )
                await asyncio.sleep(0.1)
            attempts.append(f"closed {ws.socket.close_code}")
        except (ConnectionClosed, InvalidStatus, TimeoutError) as error:
            # not back yet: the watch turns sockets away until it sees Redis
            attempts.append(repr(error))
        assert time.monotonic() < deadline, f"still refused: {attempts}"
        await asyncio.sleep(0.2)


# What a client sees when its socket is closed for the outage: the watch closes
# it with 4503 (try again later).
OUTAGE_CLOSE_CODES = {"pubsub": {4503}, "core": {4503}}
# How a new socket is turned away during the outage: once the watch has seen it,
# the handshake is refused (403) before the channel layer is touched; before
# that, the consumer reads its channel (core: it fails, the consumer closes,
# daphne answers 403) or subscribes to it (pubsub: it raises, daphne answers
# 500); a socket accepted anyway is closed at connection_init (4503).
# How long push may take to resume once Redis answers again. The watch drops
# the core layer's pooled connections when Redis goes away: one of them reused
# afterwards would hang for its socket timeout (15 s) first.
RESUME_SECONDS = {"pubsub": 10, "core": 15}
OUTAGE_REFUSALS = {
    "pubsub": {"handshake 403", "handshake 500", 4503},
    "core": {"handshake 403", 4503},
}


@pytest.mark.parametrize("layer", ["pubsub", "core"])
async def test_a_redis_outage_closes_sockets_keeps_http_and_push_resumes_after(
    request, tokens, layer
):
    """Redis is killed under a live server: the subscribed socket is closed
    (not left hanging), HTTP reads and writes go on and lose nothing, sign-in
    works, /healthz says 503 channelLayer, new sockets are turned away; Redis
    comes back on its port and, with the same server, a new socket receives new
    events."""
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    redis = PrivateRedis().start()
    env = {
        "REDIS_URL": redis.url,
        "REDIS_CHANNEL_LAYER": layer,
        "CHANNEL_LAYER_PREFIX": f"faults-{uuid.uuid4().hex[:12]}",
        "LIVE_LAYER_CHECK_SECONDS": "1",
    }
    camille, bruno = tokens["camille"], tokens["bruno"]
    try:
        with running_server(request, env) as url:
            # given a socket that receives events
            async with connect(f"{url}/graphql/") as ws:
                await signed_in(ws, bruno)
                operation = await subscribe_live(ws, url)
                before = await create_post(url, camille, "Avant la panne")
                assert (await next_event(ws, operation))["postId"] == before
                # when Redis goes away
                redis.kill()
                # then the server closes the socket: clients resync
                closing = await closed(ws)
            assert closing.messages == []
            assert closing.rcvd is not None, "closed without a close frame"
            assert closing.rcvd.code in OUTAGE_CLOSE_CODES[layer], closing

            # HTTP goes on: writes are kept, reads show them, sign-in works
            started = time.monotonic()
            during = await create_post(url, camille, "Pendant la panne")
            assert time.monotonic() - started < 10
            feed = await http_graphql(url, FEED, token=bruno)
            bodies = [edge["node"]["body"] for edge in feed["data"]["feed"]["edges"]]
            assert bodies[:2] == ["Pendant la panne", "Avant la panne"]
            login = await http_graphql(url, LOGIN, {"password": PASSWORD})
            assert login["data"]["login"]["errors"] == [], login
            assert login["data"]["login"]["token"]
            # the throttle still counts failures, in the process' own memory
            for _ in range(5):
                await http_graphql(url, LOGIN, {"password": "wrong"})
            refused = await http_graphql(url, LOGIN, {"password": PASSWORD})
            codes = [error["extensions"]["code"] for error in refused["errors"]]
            assert codes == ["RATE_LIMITED"], refused

            body = await until_health(url, 503)
            assert body["channelLayer"] == "unavailable"
            assert body["database"] == "ok"
            # no socket of the outage is left behind
            await until_idle(url)
            assert await turned_away(url, bruno) in OUTAGE_REFUSALS[layer]

            # when Redis comes back on the same port
            redis.start()
            back = time.monotonic()
            await until_health(url, 200)
            # then push resumes on its own
            async with AsyncExitStack() as stack:
                ws, operation = await until_subscribed(
                    url, bruno, stack, RESUME_SECONDS[layer]
                )
                print(f"{layer}: listening again {time.monotonic() - back:.1f} s after")
                after = await create_post(url, camille, "Après la panne")
                event = await next_event(ws, operation)
            assert event["postId"] == after
            assert event["post"]["body"] == "Après la panne"
            # the post of the outage was kept, even though no one was told
            feed = await http_graphql(url, FEED, token=bruno)
            ids = [edge["node"]["id"] for edge in feed["data"]["feed"]["edges"]]
            assert ids[:3] == [after, during, before]
    finally:
        redis.close()


async def test_a_channel_layer_that_stops_answering_closes_the_socket_it_fails(
    request, tokens
):
    """Redis stops answering (CLIENT PAUSE) while the watch is between two
    checks: a subscription that cannot join its audiences closes its socket
    with 4503 within LIVE_LAYER_TIMEOUT_SECONDS, instead of staying open and
    silent until Redis answers again; then a new socket listens.

    The core layer only: it waits for Redis to add the socket to a group. The
    pubsub layer sends its SUBSCRIBE without waiting for the answer; Redis
    handles it, and the events, once it answers again."""
    layer = "core"
    import redis as redis_client

    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    redis = PrivateRedis().start()
    env = {
        "REDIS_URL": redis.url,
        "REDIS_CHANNEL_LAYER": layer,
        "CHANNEL_LAYER_PREFIX": f"faults-{uuid.uuid4().hex[:12]}",
        # the watch checks once, when the first socket comes, then sleeps
        "LIVE_LAYER_CHECK_SECONDS": "120",
        "LIVE_LAYER_TIMEOUT_SECONDS": "1",
    }
    pause_seconds = 8
    admin = redis_client.Redis.from_url(redis.url)
    try:
        with running_server(request, env) as url:
            async with connect(f"{url}/graphql/") as ws:
                await signed_in(ws, tokens["bruno"])
                # when Redis answers no one for a while
                admin.execute_command("CLIENT", "PAUSE", pause_seconds * 1000, "ALL")
                paused = time.monotonic()
                await ws.subscribe(FEED_EVENTS)
                # then the socket is closed for the client to retry, at once
                closing = await closed(ws, seconds=pause_seconds - 1)
            waited = time.monotonic() - paused
            assert closing.rcvd is not None, "closed without a close frame"
            assert closing.rcvd.code == 4503, closing
            assert waited < pause_seconds - 1, waited
            # and once Redis answers again, the server listens for a new socket
            await asyncio.sleep(pause_seconds - waited)
            async with AsyncExitStack() as stack:
                ws, operation = await until_subscribed(url, tokens["bruno"], stack, 10)
                after = await create_post(url, tokens["camille"], "Après la pause")
                assert (await next_event(ws, operation))["postId"] == after
    finally:
        admin.close()
        redis.close()


# --- PostgreSQL drops every connection ----------------------------------------------


@pytest.fixture
def own_backend(db) -> int:
    """The backend of the test's own database connection (kept alive)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_other_backends(own: int) -> int:
    """Terminate every backend of the test database but the test's own, as a
    PostgreSQL restart does to the app; return how many were terminated."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as killer:
        rows = killer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND pid <> %s",
            [own],
        ).fetchall()
    return sum(1 for (done,) in rows if done)


@pytest.mark.postgres
@pytest.mark.parametrize("conn_max_age", ["0", "60"])
async def test_the_server_recovers_when_postgresql_drops_its_connections(
    request, tokens, own_backend, conn_max_age
):
    """Every server backend is terminated under an open subscription: queries
    and mutations work again at once, without restarting the server, and the
    subscription delivers the next post, loaded from the database."""
    env = {"CONN_MAX_AGE": conn_max_age}
    camille, bruno = tokens["camille"], tokens["bruno"]
    with running_server(request, env) as url:
        async with connect(f"{url}/graphql/") as ws:
            await signed_in(ws, bruno)
            operation = await subscribe_live(ws, url)
            before = await create_post(url, camille, "Avant")
            assert (await next_event(ws, operation))["postId"] == before
            # when
            terminated = await asyncio.to_thread(terminate_other_backends, own_backend)
            if conn_max_age != "0":
                # persistent connections: the server held some, now dead
                assert terminated >= 1
            # then
            feed = await http_graphql(url, FEED, token=bruno)
            assert feed["data"]["feed"]["edges"][0]["node"]["id"] == before, feed
            after = await create_post(url, camille, "Après")
            event = await next_event(ws, operation)
    assert event["postId"] == after
    assert event["post"] == {"id": after, "body": "Après", "group": None}
