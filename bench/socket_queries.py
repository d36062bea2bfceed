"""Queries over many sockets at once, against the same queries over HTTP.

Django runs each HTTP request's ORM work in a thread context of its own; a socket
gets one of its own too (ThreadSensitiveContext in graphql_schema/consumers.py),
or the database work of every socket of a process would queue on one thread. K
signed-in graphql-transport-ws sockets (K different agents) send the feed page
query back to back for a burst, against K keep-alive HTTP clients sending the same
query to the same daphne process, bursts alternating. Per-query latencies; a
ratio near 1 says sockets are served as concurrently as HTTP requests.
"""

import asyncio
import json
import statistics
import time

import websockets

from bench.feed import FEED_PAGE, PAGE_SIZE
from bench.feed_http import _burst, _requests
from bench.harness import Result, live_server, quantile, scenario

ROUNDS = 3
SOCKETS = 8


async def _socket_client(url: str, token: str, stop_at: float, latencies: list):
    async with websockets.connect(
        url.replace("http://", "ws://") + "/graphql/",
        subprotocols=["graphql-transport-ws"],
    ) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {token}"},
                }
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        number = 0
        while time.perf_counter() < stop_at:
            number += 1
            started = time.perf_counter()
            await ws.send(
                json.dumps(
                    {
                        "id": str(number),
                        "type": "subscribe",
                        "payload": {
                            "query": FEED_PAGE,
                            "variables": {"first": PAGE_SIZE},
                        },
                    }
                )
            )
            answer = json.loads(await ws.recv())
            if answer["type"] != "next" or "errors" in answer["payload"]:
                raise RuntimeError(f"socket query failed: {answer!r:.300}")
            assert json.loads(await ws.recv())["type"] == "complete"
            latencies.append((time.perf_counter() - started) * 1000)


async def _socket_burst(url: str, tokens: list[str], seconds: float) -> list[float]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(
        *(_socket_client(url, token, stop_at, latencies) for token in tokens)
    )
    return latencies


@scenario("sockets")
def sockets_scenario(options) -> list[Result]:
    """The feed page queried over K sockets at once, against K HTTP clients."""
    from social.actions.auth import token_issue
    from social.models import User

    # Seeded by the feed scenario; one agent per socket (the per-user cap).
    viewers = list(User.objects.filter(username__startswith="agent")[:SOCKETS])
    tokens = [token_issue(user=viewer, name="bench") for viewer in viewers]
    seconds = options.http_seconds
    with live_server() as server:
        graphql, _floor = _requests(server.port, tokens[0])
        times: dict[str, list[float]] = {"sockets": [], "http": []}

        async def rounds() -> None:
            await _socket_burst(server.url, tokens, 0.5)  # warm-up
            await _burst(server.port, graphql, len(tokens), 0.5)
            for round_ in range(ROUNDS):
                order = ("http", "sockets") if round_ % 2 == 0 else ("sockets", "http")
                for which in order:
                    if which == "sockets":
                        times[which] += await _socket_burst(server.url, tokens, seconds)
                    else:
                        latencies, _rate = await _burst(
                            server.port, graphql, len(tokens), seconds
                        )
                        times[which] += latencies

        asyncio.run(rounds())
    median = statistics.median(times["sockets"])
    floor_median = statistics.median(times["http"])
    return [
        Result(
            name=f"feed page over {len(tokens)} sockets at once",
            median=median,
            p90=quantile(times["sockets"], 0.9),
            floor_median=floor_median,
            ratio=median / floor_median,
            sql=None,
            floor_sql=None,
            samples=len(times["sockets"]),
            extra={
                "floor": f"the same query from {len(tokens)} HTTP clients",
                "floor_p90": round(quantile(times["http"], 0.9), 2),
            },
        )
    ]
