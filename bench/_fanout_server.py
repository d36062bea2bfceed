"""The server side of bench/fanout.py (not a scenario of its own).

daphne serves `bench._fanout_server:application`: the Parvis app unchanged, plus

- a clock on publishing: `social.events._group_send` is wrapped so that the
  monotonic time just before the channel layer's `group_send` of each
  POST_CREATED is kept, by post id, and of each MESSAGE_SENT, by message id
  (CLOCK_MONOTONIC is one clock for every process of the machine, so the bench
  compares it with its own arrival times);
- bench-only HTTP routes, answered before Django:
  `GET /__bench__/published?post=<pk>` (or `?message=<pk>`): that time
  (seconds, monotonic);
  `POST /__bench__/floor?n=<N>&round=<r>[&shape=chat]`: the floor, a raw
  broadcast on this process's channel layer (the very layer instance the
  sockets use) to N plain channels of one group, each awaited by its own task
  as a consumer awaits its channel, of a message shaped as POST_CREATED (or,
  with `shape=chat`, as MESSAGE_SENT); answers each receiver's latency in ms;
  `POST /__bench__/floor/close`: leaves the floor's group;
  `GET /__bench__/live`: live connections and listening subscriptions;
  `GET /__bench__/queries`: the SQL queries this process has run so far (every
  database connection, whichever thread opened it).

Bound to 127.0.0.1 by the bench; never part of the project's app.
"""

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from urllib.parse import parse_qs

from channels.layers import get_channel_layer
from django.db.backends.signals import connection_created

from project.asgi import application as parvis
from social import events

FLOOR_TIMEOUT_SECONDS = 30.0
PUBLISHED_KEPT = 10_000

# The times of publishing: POST_CREATED by post id, MESSAGE_SENT by message id.
published: dict[str, OrderedDict[int, float]] = {
    "post": OrderedDict(),
    "message": OrderedDict(),
}
TIMED = {"POST_CREATED": "post", "MESSAGE_SENT": "message"}
_group_send = events._group_send


async def _timed_group_send(audience: str, message: dict) -> None:
    key = TIMED.get(message.get("kind"))
    if key is not None:
        kept = published[key]
        kept[message[key]] = time.monotonic()
        while len(kept) > PUBLISHED_KEPT:
            kept.popitem(last=False)
    await _group_send(audience, message)


events._group_send = _timed_group_send


queries = 0


def _count(execute, sql, params, many, context):
    global queries
    queries += 1
    return execute(sql, params, many, context)


def _count_queries_of(sender, connection, **kwargs) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


connection_created.connect(_count_queries_of)


class Floor:
    """N channels of one group on the process's layer, each with its receiver."""

    def __init__(self) -> None:
        self.group = f"bench.floor.{uuid.uuid4().hex[:12]}"
        self.channels: list[str] = []
        self.tasks: list[asyncio.Task] = []
        self.arrivals: dict[int, list[float]] = {}
        self.expected = 0
        self.done = asyncio.Event()

    async def resize(self, n: int) -> None:
        layer = get_channel_layer()
        while len(self.channels) < n:
            # The default prefix, as consumers' channels: on RedisChannelLayer
            # the channels of one process and prefix share one blocking pop.
            channel = await layer.new_channel()
            await layer.group_add(self.group, channel)
            self.channels.append(channel)
            self.tasks.append(asyncio.ensure_future(self._receive(channel)))
        while len(self.channels) > n:
            channel = self.channels.pop()
            self.tasks.pop().cancel()
            await layer.group_discard(self.group, channel)

    async def _receive(self, channel: str) -> None:
        layer = get_channel_layer()
        while True:
            message = await layer.receive(channel)
            arrived = time.monotonic()
            # The round number stands in the post (or message) id.
            number = message["post"] if "post" in message else message["message"]
            arrivals = self.arrivals.setdefault(number, [])
            arrivals.append(arrived)
            if len(arrivals) >= self.expected:
                self.done.set()

    async def round(self, n: int, number: int, message: dict) -> dict:
        await self.resize(n)
        self.expected = n
        self.done = asyncio.Event()
        self.arrivals.pop(number, None)
        started = time.monotonic()
        # The round number stands in the post (or message) id: the same keys,
        # the same size.
        key = "post" if "post" in message else "message"
        await get_channel_layer().group_send(self.group, {**message, key: number})
        try:
            async with asyncio.timeout(FLOOR_TIMEOUT_SECONDS):
                await self.done.wait()
        except TimeoutError:
            pass
        arrivals = self.arrivals.pop(number, [])
        return {
            "latencies_ms": [(t - started) * 1000 for t in arrivals],
            "expected": n,
        }

    async def close(self) -> None:
        await self.resize(0)


floor: Floor | None = None


def _floor_message() -> dict:
    """A message shaped (and sized) as social.events.feed_event's POST_CREATED."""
    return {
        "type": "bench.floor",
        "kind": "POST_CREATED",
        "post": 0,
        "group": None,
        "visibility": None,
        "comment": None,
        "poll": None,
        "actor": 1234,
        "id": uuid.uuid4().hex,
    }


def _chat_floor_message() -> dict:
    """A message shaped (and sized) as social.events.chat_event's MESSAGE_SENT."""
    return {
        "type": "bench.floor",
        "kind": "MESSAGE_SENT",
        "conversation": 1234,
        "message": 0,
        "sequence": 1234,
        "actor": 1234,
    }


async def _answer(send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _bench_route(scope, receive, send) -> None:
    global floor
    query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
    path = scope["path"]
    if path == "/__bench__/published":
        key = "message" if "message" in query else "post"
        at = published[key].get(int(query[key]))
        return await _answer(send, 200 if at is not None else 404, {"at": at})
    if path == "/__bench__/live":
        from graphql_schema.live.connection import connections

        # What /healthz shows, without its channel-layer probe (on
        # RedisChannelLayer its "healthz." channel waits for the consumers'
        # blocking pop: slow or 503 while sockets are open).
        return await _answer(
            send,
            200,
            {
                "connections": len(connections.all),
                "subscriptions": connections.subscriptions,
            },
        )
    if path == "/__bench__/queries":
        return await _answer(send, 200, {"queries": queries})
    if path == "/__bench__/floor":
        if floor is None:
            floor = Floor()
        shape = _chat_floor_message if query.get("shape") == "chat" else _floor_message
        result = await floor.round(int(query["n"]), int(query["round"]), shape())
        return await _answer(send, 200, result)
    if path == "/__bench__/floor/close":
        if floor is not None:
            await floor.close()
            floor = None
        return await _answer(send, 200, {"closed": True})
    return await _answer(send, 404, {"error": "no such bench route"})


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith("/__bench__/"):
        return await _bench_route(scope, receive, send)
    return await parvis(scope, receive, send)
