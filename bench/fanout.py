"""Fan-out: one post to N subscribers over real sockets, as a ratio to a raw
channel-layer broadcast measured in the same run (issue 6, Benchmark).

    .venv/bin/python bench/fanout.py                 # N = 100, 1000; all layers
    .venv/bin/python bench/fanout.py --quick         # a smoke test (N = 20, 100)
    .venv/bin/python bench/fanout.py --layers memory --n 100 --rounds 5 \\
        --json var/fanout.json
    make bench BENCH_ARGS=fanout                     # the `fanout` scenario

As the `fanout` scenario of `make bench` (imported by `python -m bench`), it
runs on the harness's database, N = 100 and 1000 with 3 rounds (`--fanout-n`,
`--fanout-rounds`), on the in-memory layer, and on pubsub and core when
REDIS_URL is set; each line becomes a harness Result (docs/PERFORMANCE.md).

One daphne process (a subprocess on 127.0.0.1) per channel layer: the
in-memory layer, and on Redis (REDIS_URL, default redis://127.0.0.1:6379/6,
with a CHANNEL_LAYER_PREFIX of its own) RedisPubSubChannelLayer ("pubsub") and
RedisChannelLayer ("core"), all started at once so that their rounds are
interleaved. Each holds N graphql-transport-ws sockets, one per seeded user
(bearer token), each subscribed to `feedEvents` with no arguments (what the
feed shows). A round:

- subject: a communicator creates an organisation-wide post through HTTP
  `createPost` on that server; the server notes the monotonic time just before
  the channel layer's `group_send` (bench/_fanout_server.py); the latency of a
  delivery is the time a socket of this process reads the `next` message for
  that post, minus that (CLOCK_MONOTONIC is one clock for the whole machine);
- floor: inside that same server process, on the same layer instance, a
  `group_send` of a message of the same keys and size to a group of N plain
  channels (`layer.new_channel()`), each awaited by its own task as a consumer
  awaits its channel; the latency is until each receiver task has it. No
  socket, no GraphQL: what the layer itself costs to fan out to N receivers.

Floor and subject rounds alternate (ABBA), and the layers take turns. p50 and
p99 are over every delivery of every round. Two selections are measured:
`{ kind postId post { id body } }` and the same with `post { author {
displayName } }`, whose author resolves per subscriber. Also: RSS of each
daphne before and after its N sockets, and SQL queries per event (the whole
process). Nothing here is a test; timings are never asserted.
"""

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUN_ID = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
VAR = ROOT / "var"
VAR.mkdir(exist_ok=True)
# Run as a script, it makes its own SQLite file (unless DATABASE_URL is set) and
# sets Django up; imported by `python -m bench` (the `fanout` and `chat`
# scenarios), it uses the harness's database, already set up and migrated.
STANDALONE = __name__ == "__main__"
OWN_DATABASE = STANDALONE and not os.environ.get("DATABASE_URL")
if OWN_DATABASE:
    DATABASE_URL = f"sqlite:///{VAR / f'bench-fanout-{RUN_ID}.sqlite3'}"
else:
    DATABASE_URL = os.environ["DATABASE_URL"]
# The SQLite file whose open descriptors count the server's DB connections.
SQLITE_PATH = (
    Path(DATABASE_URL.removeprefix("sqlite:///"))
    if DATABASE_URL.startswith("sqlite:///")
    else None
)
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6"
if STANDALONE:
    os.environ["DATABASE_URL"] = DATABASE_URL
    # The bench process only seeds: no channel layer, no Redis cache of its own.
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

    import django

    django.setup()

import websockets  # noqa: E402

LAYERS = ("memory", "pubsub", "core")
SELECTIONS = {
    "post": "subscription { feedEvents { kind postId post { id body } } }",
    "post+author": (
        "subscription { feedEvents { kind postId post { id body "
        "author { displayName } } } }"
    ),
}
CREATE_POST = """mutation($body: String!) {
  createPost(input: {body: $body}) { post { id } errors { code message } } }"""
PROTOCOL = "graphql-transport-ws"

STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 30.0
ROUND_TIMEOUT_SECONDS = 30.0  # a round whose deliveries are not all in by then
READY_TIMEOUT_SECONDS = 60.0
CONNECT_CONCURRENCY = 50
BATCH = 50  # subscriptions started or ended, sockets closed, at once
PAUSE_SECONDS = 0.05  # between rounds, so that one round's tail never overlaps


# --- Seeding (the bench process) ------------------------------------------------


def seed(users: int) -> tuple[str, list[str]]:
    """Create the schema, a communicator and `users` agents, each with a bearer
    token; return the communicator's token and the agents'."""
    from django.core.management import call_command
    from django.db import transaction

    from social.actions.auth import token_issue
    from social.models import Role, User

    call_command("migrate", verbosity=0)
    suffix = uuid.uuid4().hex[:6]  # a shared DATABASE_URL may hold earlier runs
    with transaction.atomic():
        communicator = User(
            username=f"fanout-com-{suffix}",
            display_name="Camille Communication",
            role=Role.COMMUNICATOR,
        )
        communicator.set_unusable_password()
        communicator.save()
        agents = []
        for index in range(users):
            agent = User(
                username=f"fanout-{suffix}-{index}",
                display_name=f"Agent {index}",
            )
            agent.set_unusable_password()
            agents.append(agent)
        User.objects.bulk_create(agents)
        agents = list(
            User.objects.filter(username__startswith=f"fanout-{suffix}-").order_by("pk")
        )
        return (
            token_issue(user=communicator, name="bench"),
            [token_issue(user=agent, name="bench") for agent in agents],
        )


# --- Statistics -----------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100); None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def summarize(name: str, subject: dict, floor: dict, extra: dict | None = None) -> dict:
    """One scenario's figures as a plain dict (milliseconds)."""
    s, f = subject["latencies_ms"], floor["latencies_ms"]
    p50, p99 = percentile(s, 50), percentile(s, 99)
    f50, f99 = percentile(f, 50), percentile(f, 99)
    return {
        "name": name,
        "median": p50,
        "p50": p50,
        "p90": percentile(s, 90),
        "p99": p99,
        "floor_median": f50,
        "floor_p50": f50,
        "floor_p90": percentile(f, 90),
        "floor_p99": f99,
        "ratio": _ratio(p50, f50),
        "ratio_p99": _ratio(p99, f99),
        "rounds": subject["rounds"],
        "deliveries": len(s),
        "expected": subject["expected"],
        "lost": subject["expected"] - len(s),
        "duplicates": subject["duplicates"],
        "errors": subject["errors"][:5],
        "floor_deliveries": len(f),
        "floor_expected": floor["expected"],
        "sql_queries_per_event": (
            statistics.median(subject["queries"]) if subject["queries"] else None
        ),
        "create_post_http_ms": (
            statistics.median(subject["http_ms"]) if subject["http_ms"] else None
        ),
        **(extra or {}),
    }


# --- The server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(url: str, *, data: bytes | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as answer:  # noqa: S310
        return json.loads(answer.read())


class Server:
    """daphne serving bench._fanout_server on 127.0.0.1 with one channel layer."""

    def __init__(self, layer: str, tag: str = "fanout") -> None:
        self.layer = layer
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = VAR / f"bench-{tag}-{RUN_ID}-{layer}.log"
        env = {
            **os.environ,
            # As in production: DEBUG off (no query log), a real secret.
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": DATABASE_URL,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        if layer != "memory":
            env["REDIS_URL"] = REDIS_URL
            env["REDIS_CHANNEL_LAYER"] = layer
            # A prefix of this run's own (under the one given, if any).
            base = os.environ.get("CHANNEL_LAYER_PREFIX", "bench")
            env["CHANNEL_LAYER_PREFIX"] = f"{base}-{tag}-{RUN_ID}-{layer}"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "bench._fanout_server:application",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne ({self.layer}) exited:\n{self.log_tail()}")
            try:
                health = _http(f"{self.base_url}/healthz")
                if health.get("channelLayer") == "ok":
                    return
                last = repr(health)
            except (OSError, ValueError) as error:
                last = repr(error)
            time.sleep(0.2)
        raise RuntimeError(f"daphne ({self.layer}) not healthy: {last}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def database_files_open(self) -> int | None:
        """Open descriptors on the bench's SQLite file: one per DB connection."""
        if SQLITE_PATH is None:
            return None
        folder = Path(f"/proc/{self.process.pid}/fd")
        count = 0
        for fd in folder.iterdir():
            with contextlib.suppress(OSError):
                count += os.readlink(fd) == str(SQLITE_PATH)
        return count  # the main file only, not its -wal

    async def get(self, path: str) -> dict:
        return await asyncio.to_thread(_http, f"{self.base_url}{path}")

    async def post(self, path: str, body: dict, token: str | None = None) -> dict:
        data = json.dumps(body).encode()
        return await asyncio.to_thread(
            _http, f"{self.base_url}{path}", data=data, token=token
        )

    async def live(self) -> dict:
        return await self.get("/__bench__/live")

    async def until_live(self, count: int, what: str = "subscriptions") -> None:
        """Wait until the server holds `count` listening subscriptions (or
        signed-in connections)."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            live = await self.live()
            if live[what] == count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.layer}: {live}, wanted {count} {what}")
            await asyncio.sleep(0.05)


# --- The sockets --------------------------------------------------------------------


def post_global_id(pk: int) -> str:
    return base64.b64encode(f"Post:{pk}".encode()).decode()


def post_pk(global_id: str) -> int:
    """The pk of a post's (or any node's) global id."""
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


@dataclass(eq=False)
class Subscriber:
    """One socket with one subscription; its reader notes arrival times."""

    socket: object
    reader: asyncio.Task | None = None
    operation: int = 0
    arrivals: dict[str, list[float]] = field(default_factory=dict)


class Fleet:
    """The sockets of one server, all reading in this process."""

    def __init__(
        self,
        server: Server,
        tokens: list[str],
        field: str = "feedEvents",
        key=lambda event: event.get("postId"),
    ) -> None:
        self.server = server
        self.tokens = tokens
        self.field = field  # the subscription's root field
        self.key = key  # event -> the id its deliveries are counted by
        self.subscribers: list[Subscriber] = []
        self.wanted: str | None = None  # the post whose deliveries are counted
        self.expected: int | None = None  # deliveries wanted (None: every socket)
        self.count = 0
        self.complete = asyncio.Event()
        self.errors: list[str] = []

    async def _open(self, token: str) -> Subscriber:
        ws_url = self.server.base_url.replace("http://", "ws://") + "/graphql/"
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            ws = await websockets.connect(
                ws_url,
                subprotocols=[PROTOCOL],
                compression=None,
                ping_interval=None,  # daphne pings; the client answers
                max_queue=None,
            )
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {token}"},
                    }
                )
            )
            ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            await ws.close()
            raise RuntimeError(f"no connection_ack: {ack}")
        subscriber = Subscriber(ws)
        subscriber.reader = asyncio.ensure_future(self._read(subscriber))
        return subscriber

    async def _read(self, subscriber: Subscriber) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in subscriber.socket:
                arrived = time.monotonic()
                message = json.loads(raw)
                if message.get("type") != "next":
                    if message.get("type") != "complete":
                        self.errors.append(raw[:300])
                    continue
                payload = message["payload"]
                if payload.get("errors"):
                    self.errors.append(raw[:300])
                event = (payload.get("data") or {}).get(self.field) or {}
                post = self.key(event)
                if self.wanted is None or post == self.wanted:
                    subscriber.arrivals.setdefault(post, []).append(arrived)
                if post == self.wanted:
                    self.count += 1
                    if self.count >= (self.expected or len(self.subscribers)):
                        self.complete.set()
        if subscriber in self.subscribers:
            self.errors.append("a socket closed")

    async def grow(self, n: int) -> None:
        """Open sockets (and sign in) until there are n."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(token: str) -> Subscriber:
            async with gate:
                return await self._open(token)

        tokens = self.tokens[len(self.subscribers) : n]
        self.subscribers += await asyncio.gather(*(one(t) for t in tokens))

    # Subscriptions start, end and sockets close in batches, each waited for:
    # on RedisChannelLayer, more than 100 group_add or group_discard at once
    # exhaust redis-py 8's pool (max_connections 100: MaxConnectionsError, the
    # subscription fails; a failed discard leaves a member for a day).
    async def subscribe(self, query) -> None:
        """Subscribe every socket to `query` (or `query(index)` if callable)."""
        for start in range(0, len(self.subscribers), BATCH):
            for index in range(start, min(start + BATCH, len(self.subscribers))):
                subscriber = self.subscribers[index]
                subscriber.operation += 1
                await subscriber.socket.send(
                    json.dumps(
                        {
                            "id": str(subscriber.operation),
                            "type": "subscribe",
                            "payload": {
                                "query": query(index) if callable(query) else query
                            },
                        }
                    )
                )
            await self.server.until_live(min(start + BATCH, len(self.subscribers)))

    async def unsubscribe(self) -> None:
        total = len(self.subscribers)
        for start in range(0, total, BATCH):
            for subscriber in self.subscribers[start : start + BATCH]:
                await subscriber.socket.send(
                    json.dumps({"id": str(subscriber.operation), "type": "complete"})
                )
            await self.server.until_live(max(0, total - start - BATCH))

    async def close(self) -> None:
        subscribers, self.subscribers = self.subscribers, []

        async def one(subscriber: Subscriber) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await subscriber.socket.close()
            if subscriber.reader is not None:
                subscriber.reader.cancel()

        for start in range(0, len(subscribers), BATCH):
            await asyncio.gather(*(one(s) for s in subscribers[start : start + BATCH]))
            with contextlib.suppress(Exception):
                await self.server.until_live(
                    max(0, len(subscribers) - start - BATCH), "connections"
                )


# --- Rounds -------------------------------------------------------------------------


def _empty(expected: int = 0) -> dict:
    return {
        "latencies_ms": [],
        "expected": expected,
        "rounds": 0,
        "duplicates": 0,
        "errors": [],
        "queries": [],
        "http_ms": [],
    }


async def create_post(server: Server, communicator: str) -> str:
    """An organisation-wide post through HTTP `createPost`; its global id."""
    body = f"Fan-out {uuid.uuid4().hex[:8]} : la piscine ouvre lundi."
    answer = await server.post(
        "/graphql/", {"query": CREATE_POST, "variables": {"body": body}}, communicator
    )
    payload = (answer.get("data") or {}).get("createPost") or {}
    if answer.get("errors") or payload.get("errors") or not payload.get("post"):
        raise RuntimeError(f"createPost failed: {answer}")
    return payload["post"]["id"]


async def queries_of_create_post(server: Server, communicator: str) -> int:
    """The SQL queries of createPost alone (no subscriber listening)."""
    before = (await server.get("/__bench__/queries"))["queries"]
    await create_post(server, communicator)
    return (await server.get("/__bench__/queries"))["queries"] - before


async def subject_round(
    fleet: Fleet, communicator: str, into: dict, send=None, key: str = "post"
) -> None:
    """One organisation-wide post through HTTP; every socket's delivery latency.

    `send(server, token) -> global id` instead of create_post sends something
    else (bench/chat.py: a message, its publishing timed by `key` "message").
    """
    server = fleet.server
    n = fleet.expected or len(fleet.subscribers)
    queries_before = (await server.get("/__bench__/queries"))["queries"]
    fleet.count = 0
    fleet.complete = asyncio.Event()
    fleet.wanted = None
    started = time.monotonic()
    wanted = await (send or create_post)(server, communicator)
    http_ms = (time.monotonic() - started) * 1000
    # Deliveries may come before the HTTP answer: count those already in.
    fleet.wanted = wanted
    fleet.count = sum(1 for s in fleet.subscribers if wanted in s.arrivals)
    if fleet.count >= n:
        fleet.complete.set()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ROUND_TIMEOUT_SECONDS):
            await fleet.complete.wait()
    fleet.wanted = None
    published = (await server.get(f"/__bench__/published?{key}={post_pk(wanted)}"))[
        "at"
    ]
    queries_after = (await server.get("/__bench__/queries"))["queries"]
    for subscriber in fleet.subscribers:
        arrivals = subscriber.arrivals.pop(wanted, [])
        into["duplicates"] += max(0, len(arrivals) - 1)
        into["latencies_ms"] += [(t - published) * 1000 for t in arrivals[:1]]
        subscriber.arrivals.clear()
    into["expected"] += n
    into["rounds"] += 1
    # The createPost mutation's own queries included (and three bench probes: none).
    into["queries"].append(queries_after - queries_before)
    into["http_ms"].append(http_ms)
    into["errors"] += fleet.errors
    fleet.errors.clear()


async def floor_round(
    server: Server, n: int, number: int, into: dict, shape: str = "post"
) -> None:
    """A raw group_send to N plain channels inside the server process (a
    message shaped as POST_CREATED, or with shape "chat" as MESSAGE_SENT)."""
    answer = await server.post(
        f"/__bench__/floor?n={n}&round={number}&shape={shape}", {}
    )
    into["latencies_ms"] += answer["latencies_ms"]
    into["expected"] += answer["expected"]
    into["rounds"] += 1


# --- A whole run ------------------------------------------------------------------


def interleaved(layers: list[str], rounds: int):
    """(layer, "subject" | "floor") in ABBA order: the layers take turns, and
    floor and subject swap who goes first from round to round and layer to layer."""
    for r in range(rounds):
        for layer in layers if r % 2 == 0 else layers[::-1]:
            steps = ["subject", "floor"]
            if (r + layers.index(layer)) % 2:
                steps.reverse()
            for step in steps:
                yield layer, step


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except Exception:
        return False


async def _run(
    layers: list[str], ns: list[int], rounds: int, author_max_n: int, log
) -> dict:
    communicator, tokens = await asyncio.to_thread(seed, max(ns))
    servers = {layer: Server(layer) for layer in layers}
    fleets: dict[str, Fleet] = {}
    results: list[dict] = []
    memory: list[dict] = []
    create_queries: dict[str, int] = {}
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            await asyncio.to_thread(server.wait_until_healthy)
        number = 0
        for layer, server in servers.items():
            # Warm up: the first post, the first floor, imports and caches.
            fleets[layer] = Fleet(server, tokens)
            await fleets[layer].grow(1)
            await fleets[layer].subscribe(SELECTIONS["post+author"])
            await subject_round(fleets[layer], communicator, _empty())
            await fleets[layer].unsubscribe()
            create_queries[layer] = await queries_of_create_post(server, communicator)
            number += 1
            await floor_round(server, 1, number, _empty())
            await server.post("/__bench__/floor/close", {})
            await fleets[layer].close()
            await server.until_live(0)
        base_rss = {layer: server.rss_kb() for layer, server in servers.items()}
        for n in ns:
            rss = {}
            for layer, server in servers.items():
                await server.post("/__bench__/floor/close", {})
                log(f"  {layer}: opening {n} sockets")
                started = time.monotonic()
                await fleets[layer].grow(n)
                await fleets[layer].subscribe(SELECTIONS["post"])
                rss[layer] = server.rss_kb()
                log(
                    f"  {layer}: {n} sockets subscribed in "
                    f"{time.monotonic() - started:.1f}s"
                )
                memory.append(
                    {
                        "name": f"fanout memory {layer} N={n}",
                        "layer": layer,
                        "n": n,
                        "rss_before_kb": base_rss[layer],
                        "rss_after_kb": rss[layer],
                        "rss_per_connection_kb": (rss[layer] - base_rss[layer]) / n,
                        "threads": server.threads(),
                    }
                )
            selections = {
                name: query
                for name, query in SELECTIONS.items()
                if name == "post" or n <= author_max_n
            }
            for index, (selection, query) in enumerate(selections.items()):
                if index:
                    for fleet in fleets.values():
                        await fleet.unsubscribe()
                        await fleet.subscribe(query)
                subject = {layer: _empty() for layer in layers}
                floor = {layer: _empty() for layer in layers}
                for layer, step in interleaved(layers, rounds):
                    if step == "subject":
                        await subject_round(fleets[layer], communicator, subject[layer])
                    else:
                        number += 1
                        await floor_round(servers[layer], n, number, floor[layer])
                    await asyncio.sleep(PAUSE_SECONDS)
                held = {
                    layer: server.database_files_open()
                    for layer, server in servers.items()
                }
                for layer in layers:
                    result = summarize(
                        f"fanout {layer} N={n} {selection}",
                        subject[layer],
                        floor[layer],
                        {
                            "layer": layer,
                            "n": n,
                            "selection": selection,
                            "sql_queries_of_create_post": create_queries[layer],
                            # SQLite connections held by the server between
                            # events (sockets' threads keep theirs).
                            "database_connections_held": held[layer],
                        },
                    )
                    results.append(result)
                    log(_line(result))
            for fleet in fleets.values():
                await fleet.unsubscribe()
            for layer, server in servers.items():
                for entry in memory:
                    if entry["layer"] == layer and entry["n"] == n:
                        entry["rss_after_rounds_kb"] = server.rss_kb()
    except Exception:
        for layer, server in servers.items():
            log(f"--- daphne {layer} log tail ---\n{server.log_tail()}")
        raise
    finally:
        for layer, fleet in fleets.items():
            with contextlib.suppress(Exception):
                await servers[layer].post("/__bench__/floor/close", {})
            await fleet.close()
        for server in servers.values():
            server.stop()
    return {"results": results, "memory": memory}


def _ms(value: float | None) -> str:
    return "    -" if value is None else f"{value:7.2f}"


def _x(value: float | None) -> str:
    return "  -" if value is None else f"{value:5.1f}x"


def _line(r: dict) -> str:
    return (
        f"{r['layer']:6} N={r['n']:<5} {r['selection']:11} "
        f"p50 {_ms(r['p50'])}  p99 {_ms(r['p99'])} ms | floor p50 "
        f"{_ms(r['floor_p50'])}  p99 {_ms(r['floor_p99'])} ms | ratio p50 "
        f"{_x(r['ratio'])} p99 {_x(r['ratio_p99'])} | {r['deliveries']}/"
        f"{r['expected']} delivered, SQL/event {r['sql_queries_per_event']} "
        f"(createPost alone {r.get('sql_queries_of_create_post')}), "
        f"{r.get('database_connections_held')} DB connections held"
    )


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": sys.version.split()[0]}


def run(
    layers: list[str],
    ns: list[int],
    rounds: int,
    author_max_n: int = 100,
    log=print,
) -> dict:
    """Measure; return {"machine", "layers", "results": [...], "memory": [...]}."""
    _raise_fd_limit(2 * len(layers) * max(ns) + 1024)
    skipped = []
    if any(layer != "memory" for layer in layers) and not _redis_reachable():
        skipped = [layer for layer in layers if layer != "memory"]
        layers = [layer for layer in layers if layer == "memory"]
        log(f"Redis at {REDIS_URL} does not answer: skipping {', '.join(skipped)}")
    try:
        figures = asyncio.run(_run(layers, ns, rounds, author_max_n, log))
    finally:
        if OWN_DATABASE:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    return {
        "machine": machine(),
        "database": "sqlite" if OWN_DATABASE else "DATABASE_URL",
        "layers": layers,
        "skipped": skipped,
        "rounds": rounds,
        **figures,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 20, 100; 3 rounds")
    parser.add_argument("--n", help="comma-separated subscriber counts (100,1000)")
    parser.add_argument("--rounds", type=int, help="rounds per N and selection (6)")
    parser.add_argument(
        "--author-max-n",
        type=int,
        default=100,
        help="largest N for the post { author } selection (100): at N = 1000 "
        "its per-subscriber queries on a thread per socket stall createPost "
        "past 30 s on 2 cores",
    )
    parser.add_argument(
        "--layers", default=",".join(LAYERS), help="memory,pubsub,core (all)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    ns = [
        int(n) for n in (args.n or ("20,100" if args.quick else "100,1000")).split(",")
    ]
    rounds = args.rounds or (3 if args.quick else 6)
    layers = [layer for layer in args.layers.split(",") if layer]
    unknown = set(layers) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layers: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    info = machine()
    print(
        f"fan-out: N={ns}, {rounds} rounds, layers {layers}; "
        f"{info['nproc']} CPUs ({info['cpu']})"
    )
    figures = run(layers, ns, rounds, args.author_max_n)
    print("\nSummary (latency from group_send to the socket's read; floor: raw")
    print("group_send to N plain channels in the same server process):")
    for result in figures["results"]:
        print(_line(result))
    for entry in figures["memory"]:
        print(
            f"{entry['layer']:6} N={entry['n']:<5} "
            f"RSS {entry['rss_before_kb'] / 1024:.1f}"
            f" -> {entry['rss_after_kb'] / 1024:.1f} MB with N sockets "
            f"({entry['rss_per_connection_kb']:.1f} kB a connection), "
            f"{entry.get('rss_after_rounds_kb', 0) / 1024:.1f} MB after the rounds, "
            f"{entry['threads']} threads"
        )
    _compare(figures["results"])
    print(f"took {time.monotonic() - started:.0f}s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"wrote {args.json}")
    return figures


def _compare(results: list[dict]) -> None:
    """pubsub against core, side by side, for each N and selection."""
    by = {(r["layer"], r["n"], r["selection"]): r for r in results}
    for (layer, n, selection), pubsub in by.items():
        core = by.get(("core", n, selection))
        if layer != "pubsub" or core is None or not pubsub["p50"] or not core["p50"]:
            continue
        faster = "pubsub" if pubsub["p50"] < core["p50"] else "core"
        print(
            f"N={n:<5} {selection:11} pubsub p50/p99 {pubsub['p50']:.2f}/"
            f"{pubsub['p99']:.2f} ms, core {core['p50']:.2f}/{core['p99']:.2f} ms "
            f"(floors {pubsub['floor_p50']:.2f} and {core['floor_p50']:.2f} ms): "
            f"{faster} is faster at p50 (core/pubsub {core['p50'] / pubsub['p50']:.2f})"
        )


# --- The `fanout` scenario of `make bench` ------------------------------------------


def bench_layers(given: str | None) -> list[str]:
    """The layers a `make bench` scenario runs on: those given, else the
    in-memory one, and pubsub and core when REDIS_URL is set."""
    if given:
        layers = [layer for layer in given.split(",") if layer]
        unknown = set(layers) - set(LAYERS)
        if unknown:
            raise SystemExit(f"unknown layers: {', '.join(sorted(unknown))}")
        return layers
    return list(LAYERS) if os.environ.get("REDIS_URL") else ["memory"]


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def as_result(figures: dict, more: dict | None = None):
    """One summarize() dict as a harness Result: median = p50; p99, the floor's
    p99 and the p99 ratio (and deliveries) in `extra`."""
    from bench.harness import Result

    extra = {
        "p99": r(figures["p99"]),
        "floor_p99": r(figures["floor_p99"]),
        "ratio_p99": r(figures["ratio_p99"]),
        "floor_p90": r(figures["floor_p90"]),
        "delivered": f"{figures['deliveries']}/{figures['expected']}"
        f" (floor {figures['floor_deliveries']}/{figures['floor_expected']}),"
        f" {figures['duplicates']} duplicates",
        **(more or {}),
    }
    if figures["errors"]:
        extra["errors"] = figures["errors"]
    sql = figures["sql_queries_per_event"]
    return Result(
        name=figures["name"],
        median=_nan(figures["p50"]),
        p90=_nan(figures["p90"]),
        floor_median=_nan(figures["floor_p50"]),
        ratio=_nan(figures["ratio"]),
        sql=None if sql is None else round(sql),
        floor_sql=0,  # a raw group_send: no SQL by construction
        samples=figures["deliveries"],
        extra=extra,
    )


def r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _register() -> None:
    from bench.harness import scenario

    @scenario("fanout")
    def fanout_scenario(options) -> list:
        """N sockets on feedEvents, one post via HTTP, against the raw group_send."""
        ns = [int(n) for n in options.fanout_n.split(",") if n]
        figures = run(
            bench_layers(options.fanout_layers),
            ns,
            options.fanout_rounds,
            author_max_n=options.fanout_author_max_n,
            log=lambda line: print(f"  {line}", flush=True),
        )
        results = []
        for entry in figures["results"]:
            memory = next(
                (
                    m
                    for m in figures["memory"]
                    if m["layer"] == entry["layer"] and m["n"] == entry["n"]
                ),
                None,
            )
            more = {
                "http_ms": r(entry["create_post_http_ms"]),
                "sql_of_create_post": entry["sql_queries_of_create_post"],
            }
            if memory is not None and entry["selection"] == "post":
                more["rss_kb_per_connection"] = round(
                    memory["rss_per_connection_kb"], 1
                )
                more["threads"] = memory["threads"]
            results.append(as_result(entry, more))
        return results


if __name__ == "__main__":
    main()
else:
    _register()
