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
