"""Idle WebSockets held by one daphne process: memory per connection, and the
most connections held with graphql-transport-ws heartbeats answered.

The subject is the GraphQL socket (`/graphql/`, signed in by a bearer token in
`connection_init`); the floor is the least such a server can do
(bench/views.py IdleSocket: accept, ack, pong), each in a fresh daphne process.
Connections are opened on 127.0.0.1 in steps up to --ws-max; after each step
every socket sends `ping` and must get `pong` within HEARTBEAT_TIMEOUT seconds.
Memory per connection is the growth of the server's RSS from a warm baseline,
divided by the connections added. Bounded by --ws-max and TIME_LIMIT seconds
per server.
"""

import asyncio
import json
import statistics
import time

from bench.harness import Result, live_server, quantile, raise_fd_limit, scenario

STEPS = (100, 250, 500, 1000, 2000, 4000, 8000, 16000)
WARM = 20  # connections opened before the baseline is read
BATCH = 50  # connections opened at once
HEARTBEAT_TIMEOUT = 10.0
TIME_LIMIT = 120.0


async def _open(url: str, payload: dict):
    from websockets.asyncio.client import connect

    socket = await connect(
        url,
        subprotocols=["graphql-transport-ws"],
        ping_interval=None,  # heartbeats are the protocol's ping/pong messages
        open_timeout=20,
        compression=None,
        max_queue=4,
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    answer = json.loads(await asyncio.wait_for(socket.recv(), 20))
    assert answer["type"] == "connection_ack", answer
    return socket


async def _ping(socket) -> float:
    started = time.perf_counter()
    await socket.send('{"type":"ping"}')
    while json.loads(await socket.recv())["type"] != "pong":
        pass
    return (time.perf_counter() - started) * 1000


async def _heartbeats(sockets: list) -> list[float] | None:
    """Round-trip times of a ping on every socket; None if any goes unanswered."""
    try:
        return await asyncio.wait_for(
            asyncio.gather(*(_ping(socket) for socket in sockets)), HEARTBEAT_TIMEOUT
        )
    except Exception:  # a timeout, a closed socket
        return None


async def _hold(server, path: str, payload: dict, most: int) -> dict:
    url = f"ws://127.0.0.1:{server.port}{path}"
    deadline = time.monotonic() + TIME_LIMIT
    sockets = [await _open(url, payload) for _ in range(WARM)]
    await _heartbeats(sockets)
    baseline = server.rss_kb()
    held, rss, rtts = WARM, baseline, []
    try:
        for step in (step for step in STEPS if step <= most):
            try:
                while len(sockets) < step and time.monotonic() < deadline:
                    count = min(BATCH, step - len(sockets))
                    sockets += await asyncio.gather(
                        *(_open(url, payload) for _ in range(count))
                    )
            except Exception:  # refused, timed out
                break
            if len(sockets) < step:
                break
            found = await _heartbeats(sockets)
            if found is None:
                break
            held, rss, rtts = step, server.rss_kb(), found
    finally:
        await asyncio.gather(
            *(socket.close() for socket in sockets), return_exceptions=True
        )
    return {
        "held": held,
        "kb_per_connection": (rss - baseline) / max(1, held - WARM),
        "rss_mb": round(rss / 1024, 1),
        "rtts": rtts or [0.0],
    }


@scenario("websocket")
def websocket_scenario(options) -> list[Result]:
    from social.actions.auth import token_issue
    from social.models import User

    viewer = User.objects.get(username="agent0")  # seeded by the feed scenario
    token = token_issue(user=viewer, name="bench-ws")
    fds = raise_fd_limit(max(4096, 2 * options.ws_max + 512))
    most = min(options.ws_max, (fds - 256) // 2)
    found = {}
    for which, path, payload in (
        ("floor", "/bench/ws/", {}),
        ("subject", "/graphql/", {"authorization": f"Bearer {token}"}),
    ):
        # Every socket is the one viewer's: lift the per-user cap (10 by default,
        # then 4429) for this server alone.
        cap = {"LIVE_MAX_CONNECTIONS_PER_USER": str(most + WARM + 100)}
        with live_server(env=cap) as server:
            found[which] = asyncio.run(_hold(server, path, payload, most))
    subject, floor = found["subject"], found["floor"]
    held = {"held": subject["held"], "floor_held": floor["held"], "tried": most}
    return [
        Result(
            name="idle WebSockets: memory",
            median=subject["kb_per_connection"],
            p90=subject["kb_per_connection"],
            floor_median=floor["kb_per_connection"],
            ratio=subject["kb_per_connection"] / max(floor["kb_per_connection"], 0.1),
            unit="KiB/conn",
            samples=subject["held"],
            extra={
                **held,
                "rss_mb": subject["rss_mb"],
                "floor_rss_mb": floor["rss_mb"],
            },
        ),
        Result(
            name=f"idle WebSockets: heartbeat ({subject['held']})",
            median=statistics.median(subject["rtts"]),
            p90=quantile(subject["rtts"], 0.9),
            floor_median=statistics.median(floor["rtts"]),
            ratio=statistics.median(subject["rtts"]) / statistics.median(floor["rtts"]),
            samples=len(subject["rtts"]),
            extra=held,
        ),
    ]
