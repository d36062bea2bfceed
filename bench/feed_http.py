"""The feed page over HTTP with concurrent clients, against the floor view.

One daphne process serves both `POST /graphql/` (FEED_PAGE) and the hand-written
`GET /bench/feed/` (bench/views.py) on the bench database. Keep-alive clients on
127.0.0.1 send requests back to back for a burst of --http-seconds, the floor's
bursts and the subject's alternating; latencies are per request, requests per
second per burst. The SQL counts are those of one request of each, in-process.
"""

import asyncio
import json
import statistics
import time

from bench.feed import FEED_PAGE, PAGE_SIZE
from bench.harness import Result, count_queries, live_server, quantile, scenario

ROUNDS = 3


def _requests(port: int, token: str) -> tuple[bytes, bytes]:
    body = json.dumps({"query": FEED_PAGE, "variables": {"first": PAGE_SIZE}})
    common = (
        f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Connection: keep-alive\r\n"
    )
    graphql = (
        f"POST /graphql/ HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    ).encode()
    floor = f"GET /bench/feed/ HTTP/1.1\r\n{common}\r\n".encode()
    return graphql, floor


async def _client(port: int, request: bytes, stop_at: float, latencies: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            headers = dict(
                line.split(b": ", 1)
                for line in head.split(b"\r\n")[1:]
                if b": " in line
            )
            length = int(
                headers[next(k for k in headers if k.lower() == b"content-length")]
            )
            body = await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or b'"errors"' in body:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
    finally:
        writer.close()


async def _burst(port: int, request: bytes, clients: int, seconds: float):
    latencies: list[float] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_client(port, request, stop_at, latencies) for _ in range(clients))
    )
    return latencies, len(latencies) / (time.perf_counter() - started)


def _sql_counts(token: str) -> tuple[int, int]:
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token}"})
    payload = {"query": FEED_PAGE, "variables": {"first": PAGE_SIZE}}

    def graphql() -> None:
        client.post("/graphql/", payload, content_type="application/json")

    def floor() -> None:
        client.get("/bench/feed/")

    graphql(), floor()  # the first use of the token writes its last use
    return count_queries(graphql), count_queries(floor)


@scenario("http")
def http_scenario(options) -> list[Result]:
    """Requests per second, p50 and p99 of the feed page over HTTP."""
    from social.actions.auth import token_issue
    from social.models import User

    viewer = User.objects.get(username="agent0")  # seeded by the feed scenario
    token = token_issue(user=viewer, name="bench")
    sql, floor_sql = _sql_counts(token)
    if not options.allow_sql_mismatch:
        assert sql == floor_sql, f"HTTP: {sql} SQL queries, the floor {floor_sql}"
    clients, seconds = options.http_clients, options.http_seconds
    with live_server() as server:
        graphql, floor = _requests(server.port, token)
        times = {"subject": ([], []), "floor": ([], [])}

        async def rounds() -> None:
            await _burst(server.port, floor, clients, 0.5)  # warm-up
            await _burst(server.port, graphql, clients, 0.5)
            for round_ in range(ROUNDS):
                order = (
                    ("floor", "subject") if round_ % 2 == 0 else ("subject", "floor")
                )
                for which in order:
                    request = graphql if which == "subject" else floor
                    latencies, rate = await _burst(
                        server.port, request, clients, seconds
                    )
                    times[which][0].extend(latencies)
                    times[which][1].append(rate)

        asyncio.run(rounds())
    (latencies, rates), (floor_latencies, floor_rates) = (
        times["subject"],
        times["floor"],
    )
    median, floor_median = (
        statistics.median(latencies),
        statistics.median(floor_latencies),
    )
    rps, floor_rps = statistics.median(rates), statistics.median(floor_rates)
    return [
        Result(
            name=f"feed page (HTTP, {clients} clients)",
            median=median,
            p90=quantile(latencies, 0.9),
            floor_median=floor_median,
            ratio=median / floor_median,
            sql=sql,
            floor_sql=floor_sql,
            samples=len(latencies),
            extra={
                "requests_per_second": round(rps, 1),
                "floor_requests_per_second": round(floor_rps, 1),
                "rps_ratio": round(floor_rps / rps, 2),
                "p99": round(quantile(latencies, 0.99), 2),
                "floor_p99": round(quantile(floor_latencies, 0.99), 2),
            },
        )
    ]
