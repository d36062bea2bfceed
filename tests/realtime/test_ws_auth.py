"""Who a GraphQL WebSocket speaks for: a bearer token in connection_init, or the
session cookie, on a live daphne server.

The data is set up in sync fixtures, on the test's own database connection: an
async test's thread pool would keep a connection of its own open.
"""

import asyncio

import pytest
import websockets
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.exceptions import ConnectionClosed

from social.actions.auth import token_issue, token_revoke_all
from social.models import Role, User
from tests.conftest import gid, make_user
from tests.realtime.client import connect, http_graphql

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

VIEWER = "query { viewer { username } }"


async def viewer_over(ws) -> dict | None:
    """Run the viewer query on an acknowledged socket and return `viewer`."""
    operation = await ws.subscribe(VIEWER)
    answer = await ws.receive()
    assert answer["id"] == operation, answer
    assert answer["type"] == "next", answer
    return answer["payload"]["data"]["viewer"]


@pytest.fixture
def agathe(db) -> User:
    return make_user("agathe")


@pytest.fixture
def token(agathe) -> str:
    return token_issue(user=agathe, name="test phone")


async def test_a_bearer_token_in_connection_init_authenticates_the_socket(
    live_server_url, token
):
    """`{"authorization": "Bearer <token>"}` makes the socket the token's user's."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        # when
        ack = await ws.init({"authorization": f"Bearer {token}"})
        # then
        assert ack["type"] == "connection_ack"
        assert await viewer_over(ws) == {"username": "agathe"}


@pytest.mark.parametrize(
    "authorization", ["Bearer pv_not-a-token", "Bearer", "Token abc", 42]
)
async def test_a_bad_token_closes_the_socket_with_4403(
    live_server_url, db, authorization
):
    """A token that matches nothing, or a malformed value, is refused at once."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            await ws.init({"authorization": authorization})
    assert closed.value.rcvd.code == 4403


@pytest.fixture
def revoked_token(agathe, token) -> str:
    token_revoke_all(user=agathe)
    return token


@pytest.fixture
def deactivated_users_token(agathe, token) -> str:
    User.objects.filter(pk=agathe.pk).update(is_active=False)
    return token


@pytest.fixture
def session_cookie(agathe) -> dict[str, str]:
    """The Cookie header of a browser where Agathe is signed in."""
    client = Client()
    client.force_login(agathe)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}


@pytest.fixture
def token_from_login(agathe) -> str:
    """The token a phone gets from `login` over HTTP."""
    login = (
        'mutation { login(input: {identifier: "agathe", '
        'password: "a-long-test-password", deviceName: "Phone"}) { token } }'
    )
    response = Client().post(
        "/graphql/", {"query": login}, content_type="application/json"
    )
    return response.json()["data"]["login"]["token"]


async def test_a_revoked_token_closes_the_socket_with_4403(
    live_server_url, revoked_token
):
    """After logout of all devices, the token opens no socket."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            await ws.init({"authorization": f"Bearer {revoked_token}"})
    assert closed.value.rcvd.code == 4403


async def test_a_deactivated_users_token_closes_the_socket_with_4403(
    live_server_url, deactivated_users_token
):
    """The user's active flag is checked when the socket is opened."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as closed:
            await ws.init({"authorization": f"Bearer {deactivated_users_token}"})
    assert closed.value.rcvd.code == 4403


async def test_without_credentials_the_socket_is_anonymous(live_server_url, db):
    """No token and no cookie: the socket opens, and `viewer` is null."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        assert (await ws.init())["type"] == "connection_ack"
        assert await viewer_over(ws) is None


async def test_the_session_cookie_authenticates_the_socket(
    live_server_url, session_cookie
):
    """GraphiQL's socket rides on the browser's session cookie."""
    async with connect(
        f"{live_server_url}/graphql/", origin=live_server_url, headers=session_cookie
    ) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        # then
        assert await viewer_over(ws) == {"username": "agathe"}


async def test_a_token_from_login_over_http_opens_a_socket(
    live_server_url, token_from_login
):
    """The token a phone gets from `login` is the one it gives the socket."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        ack = await ws.init({"authorization": f"Bearer {token_from_login}"})
        # then
        assert ack["type"] == "connection_ack"
        assert await viewer_over(ws) == {"username": "agathe"}


async def closed_before_any_answer(ws) -> ConnectionClosed:
    """Read until the server closes the socket; no operation may answer with data."""
    while True:
        try:
            message = await ws.receive()
        except ConnectionClosed as closed:
            return closed
        assert message["type"] == "complete", message


@pytest.fixture
def admin_token(db) -> str:
    return token_issue(user=make_user("adele", role=Role.ADMIN))


async def test_logging_out_closes_an_open_socket_of_that_token(live_server_url, token):
    """A socket opened before `logout` is closed at once (4403), without
    waiting for its next operation."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init({"authorization": f"Bearer {token}"})
        assert await viewer_over(ws) == {"username": "agathe"}
        # when the phone signs out from another connection
        body = await http_graphql(
            live_server_url,
            "mutation { logout(input: {}) { errors { code } } }",
            {},
            token,
        )
        assert body["data"]["logout"]["errors"] == []
        # then
        closed = await closed_before_any_answer(ws)
    assert closed.rcvd.code == 4403


async def test_deactivating_a_user_closes_their_open_socket(
    live_server_url, token, agathe, admin_token
):
    """An admin deactivates the agent: the agent's open socket is closed at
    once (4403)."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init({"authorization": f"Bearer {token}"})
        assert await viewer_over(ws) == {"username": "agathe"}
        # when
        body = await http_graphql(
            live_server_url,
            "mutation($id: ID!) { deactivateUser(input: {userId: $id}) "
            "{ errors { code } } }",
            {"id": gid(agathe)},
            admin_token,
        )
        assert body["data"]["deactivateUser"]["errors"] == []
        # then
        closed = await closed_before_any_answer(ws)
    assert closed.rcvd.code == 4403


def _deactivate_without_events(user_id: int) -> None:
    """Deactivate as the Django admin or a shell would: no action, no event."""
    try:
        User.objects.filter(pk=user_id).update(is_active=False)
    finally:
        connection.close()


async def test_a_socket_rechecks_credentials_before_each_operation(
    live_server_url, token, agathe
):
    """A deactivation that sent no event still stops the socket at its next
    operation (4403), before anything is answered."""
    async with connect(f"{live_server_url}/graphql/") as ws:
        await ws.init({"authorization": f"Bearer {token}"})
        assert await viewer_over(ws) == {"username": "agathe"}
        # when
        await asyncio.to_thread(_deactivate_without_events, agathe.pk)
        # then
        await ws.subscribe(VIEWER)
        closed = await closed_before_any_answer(ws)
    assert closed.rcvd.code == 4403
