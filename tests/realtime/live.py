"""Helpers for live-update tests: subscribe, wait until listening, read events."""

import asyncio
import json
import time
import urllib.request

from tests.realtime.client import GraphQLWebSocket

FEED_EVENTS = """
subscription Feed($groupId: ID, $postId: ID) {
  feedEvents(groupId: $groupId, postId: $postId) {
    kind postId commentId
    post { id body group { id } }
    comment { id body }
    actor { username }
  }
}
"""

POLL_UPDATED = """
subscription Poll($pollId: ID!) {
  pollUpdated(pollId: $pollId) { id isClosed totalVoters options { text voteCount } }
}
"""

READY_TIMEOUT_SECONDS = 10


def live_counts(base_url: str) -> dict:
    """The server's live connections and listening subscriptions (/healthz)."""
    with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as answer:  # noqa: S310
        return json.loads(answer.read())["live"]


async def until_listening(base_url: str, subscriptions: int) -> None:
    """Wait until the server has `subscriptions` subscriptions listening, so that
    what the test publishes next reaches them (or is refused by them)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        counts = await asyncio.to_thread(live_counts, base_url)
        if counts["subscriptions"] >= subscriptions:
            return
        assert time.monotonic() < deadline, f"not listening: {counts}"
        await asyncio.sleep(0.05)


async def subscribe_live(
    ws: GraphQLWebSocket,
    base_url: str,
    query: str = FEED_EVENTS,
    variables: dict | None = None,
    *,
    listening: int = 1,
) -> str:
    """Subscribe and wait until the server has `listening` subscriptions ready."""
    operation = await ws.subscribe(query, variables)
    await until_listening(base_url, listening)
    return operation


async def next_payload(ws: GraphQLWebSocket, operation: str) -> dict:
    """The data of the next message, which must be `next` for `operation`."""
    message = await ws.receive()
    assert message.get("id") == operation, message
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]


async def next_event(ws: GraphQLWebSocket, operation: str) -> dict:
    """The next FeedEvent of `operation`."""
    return (await next_payload(ws, operation))["feedEvents"]


CLOSE_TIMEOUT_SECONDS = 15


async def closed(ws: GraphQLWebSocket, seconds: float = CLOSE_TIMEOUT_SECONDS):
    """Read until the server closes the socket and return how (the
    `ConnectionClosed`); the messages read meanwhile are on `.messages`. A
    socket still open after `seconds` fails the test: a hang."""
    from websockets.exceptions import ConnectionClosed

    messages = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                messages.append(json.loads(await ws.socket.recv()))
    except ConnectionClosed as closing:
        closing.messages = messages
        return closing
    except TimeoutError:
        raise AssertionError(
            f"the socket was not closed within {seconds} s; it sent {messages}"
        ) from None


def health(base_url: str) -> tuple[int, dict]:
    """The status and body of the server's /healthz, 503 included."""
    import urllib.error

    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def until_idle(base_url: str) -> None:
    """Wait until the server holds no live socket and no subscription (those of
    an earlier test are gone), so that `until_listening` counts only ours."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        counts = (await asyncio.to_thread(health, base_url))[1]["live"]
        if counts == {"connections": 0, "subscriptions": 0}:
            return
        assert time.monotonic() < deadline, f"still busy: {counts}"
        await asyncio.sleep(0.05)
