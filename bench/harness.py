"""The benchmark harness: a throwaway database, scenarios, floors, SQL counts.

Every figure is a ratio to a *floor*: the hand-written code doing the same work,
timed in the same process run and interleaved with the subject (floor, subject,
subject, floor, ...), after a warm-up, so that the noise of a shared machine
falls on both alike.

Adding a scenario (docs/PERFORMANCE.md):

    from bench.harness import measure, scenario

    @scenario("my scenario")
    def my_scenario(options) -> list[Result]:
        data = seed_something()                    # once, in the bench database
        return [
            measure(
                "my scenario",
                subject=lambda: code_under_test(data),
                floor=lambda: hand_written_equivalent(data),
                repeat=options.repeat,
                same_sql=True,                     # assert equal query counts
            )
        ]

`setup()` must have run (it creates the database and sets Django up) before a
scenario module that imports models is imported; `python -m bench` does that.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SQLITE_PATH = ROOT / "var" / "bench" / "bench.sqlite3"
DEFAULT_DATABASE_NAME = "parvis_bench"


# --- The database -----------------------------------------------------------------


def bench_database_url(url: str | None) -> str:
    """The URL of the bench's own database.

    None: a SQLite file under var/bench/. Otherwise the same server, but a
    database named for the bench: the URL's own name if it has "bench" in it,
    else that name with "_bench" appended, so that the bench never writes into
    someone's data (it drops and recreates that database).
    """
    if not url:
        return f"sqlite:///{SQLITE_PATH}"
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        raise SystemExit("The bench makes its own SQLite file: unset DATABASE_URL.")
    name = parts.path.lstrip("/") or DEFAULT_DATABASE_NAME
    if "bench" not in name:
        name = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    assert "bench" in name, name  # never someone's data
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


_READY = False


def setup() -> None:
    """Point Django at a fresh bench database, set it up and migrate; idempotent."""
    global _READY
    if _READY:
        return
    sys.path.insert(0, str(ROOT))
    # Production settings (DEBUG off: no query log), on plain HTTP to 127.0.0.1.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    # The floors' views (bench/views.py), here and in the live servers.
    os.environ["PARVIS_BENCH_VIEWS"] = "1"
    # The live server of a scenario inherits these: same database, own prefix.
    os.environ.setdefault("CHANNEL_LAYER_PREFIX", "parvis-bench")
    given = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    url = bench_database_url(given)
    os.environ["DATABASE_URL"] = url
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise's
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    else:
        _recreate_postgres(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _install_query_counter()
    _READY = True


def describe_database() -> str:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"PostgreSQL {version}, {layer}"


# --- Counting SQL queries, in every thread ------------------------------------------

_lock = threading.Lock()
_counts = {"on": False, "n": 0}


def _count(execute, sql, params, many, context):
    if _counts["on"]:
        with _lock:
            _counts["n"] += 1
    return execute(sql, params, many, context)


def _add_counter(connection, **_kwargs) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


def _install_query_counter() -> None:
    # A wrapper on every connection of every thread (sync_to_async runs the ORM
    # in other threads than the caller's), installed as each one is created.
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_add_counter, weak=False)
    for connection in connections.all():
        _add_counter(connection)


def count_queries(function: Callable[[], object]) -> int:
    """How many SQL queries one call of `function` runs, in any thread."""
    from django.db import connections

    for connection in connections.all():  # this thread's, made lazily
        _add_counter(connection)
    with _lock:
        _counts["on"], _counts["n"] = True, 0
    try:
        function()
    finally:
        with _lock:
            _counts["on"] = False
    return _counts["n"]


# --- A live server ------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    port: int
    process: subprocess.Popen

    def rss_kb(self) -> int:
        """The server process's resident memory, in KiB (Linux /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise this process's open-file soft limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextmanager
def live_server(
    timeout: float = 60.0, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """One daphne process on 127.0.0.1 serving the app (and the bench's floor
    views) on the bench database, with `env` added to its environment; stopped
    on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (ROOT / "var" / "bench" / f"daphne-{port}.log").open("wb")
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "project.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, process=process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"daphne exited: see {log.name}")
            try:
                with urllib.request.urlopen(f"{server.url}/healthz", timeout=5):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- Measuring ----------------------------------------------------------------------


@dataclass
class Result:
    """One line of the report and one entry of bench/results.json."""

    name: str
    median: float
    p90: float
    floor_median: float
    ratio: float
    sql: int | None = None
    floor_sql: int | None = None
    unit: str = "ms"
    samples: int = 0
    extra: dict = field(default_factory=dict)


def quantile(samples: list[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` (inclusive method)."""
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def measure(
    name: str,
    *,
    subject: Callable[[], object],
    floor: Callable[[], object],
    repeat: int,
    warmup: int = 5,
    same_sql: bool = False,
    count_sql: bool = True,
    extra: dict | None = None,
) -> Result:
    """Time `subject` against `floor`, interleaved, `repeat` times each.

    Floor and subject alternate, the order flipping every round (F S, S F, ...)
    so that neither always runs on a cache the other warmed. SQL queries of one
    call of each are counted apart from the timed calls; with `same_sql` the two
    counts must be equal (AssertionError otherwise).
    """
    for _ in range(warmup):
        floor()
        subject()
    sql = count_queries(subject) if count_sql else None
    floor_sql = count_queries(floor) if count_sql else None
    if same_sql:
        assert sql == floor_sql, f"{name}: {sql} SQL queries, the floor {floor_sql}"
    times: list[float] = []
    floor_times: list[float] = []
    for round_ in range(repeat):
        if round_ % 2:
            times.append(_timed(subject))
            floor_times.append(_timed(floor))
        else:
            floor_times.append(_timed(floor))
            times.append(_timed(subject))
    median, floor_median = statistics.median(times), statistics.median(floor_times)
    return Result(
        name=name,
        median=median,
        p90=quantile(times, 0.9),
        floor_median=floor_median,
        ratio=median / floor_median,
        sql=sql,
        floor_sql=floor_sql,
        samples=repeat,
        extra={"floor_p90": quantile(floor_times, 0.9), **(extra or {})},
    )


# --- Scenarios ----------------------------------------------------------------------

Runner = Callable[[argparse.Namespace], "list[Result]"]
SCENARIOS: dict[str, Runner] = {}


def scenario(name: str) -> Callable[[Runner], Runner]:
    """Register `runner(options) -> list[Result]` as the scenario `name`."""

    def register(runner: Runner) -> Runner:
        SCENARIOS[name] = runner
        return runner

    return register


def report_line(result: Result) -> str:
    sql = "" if result.sql is None else f"  SQL {result.sql} (floor {result.floor_sql})"
    unit = result.unit
    return (
        f"{result.name:34} median {result.median:8.2f} {unit}  p90 {result.p90:8.2f}"
        f" {unit}  floor {result.floor_median:8.2f} {unit}  ratio {result.ratio:5.2f}"
        f"{sql}"
    )


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "database": describe_database(),
    }


def run(names: list[str], options: argparse.Namespace) -> list[Result]:
    """Run the scenarios `names` (all if empty), print and save their results."""
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"Unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    info = machine()
    print(
        f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
        f"{info['database']}",
        flush=True,
    )
    results: list[Result] = []
    for name in names or list(SCENARIOS):
        started = time.perf_counter()
        found = SCENARIOS[name](options)
        for result in found:
            print(report_line(result), flush=True)
            for key, value in result.extra.items():
                if key != "floor_p90":
                    print(f"    {key}: {value}", flush=True)
        print(f"  ({name}: {time.perf_counter() - started:.0f} s)", flush=True)
        results.extend(found)
    if options.output:
        Path(options.output).write_text(
            json.dumps(
                {"machine": info, "scenarios": [asdict(r) for r in results]},
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {options.output}")
    return results


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmark scenarios."
    )
    arguments.add_argument("scenarios", nargs="*", help="names (default: all)")
    arguments.add_argument(
        "--repeat", type=int, default=60, help="timed calls per in-process scenario"
    )
    arguments.add_argument(
        "--search-posts",
        type=int,
        default=int(os.environ.get("BENCH_POSTS", "5000")),
        help="posts in the search corpus (100000 for the figures of docs/SEARCH.md)",
    )
    arguments.add_argument(
        "--http-seconds", type=float, default=2.0, help="length of each HTTP burst"
    )
    arguments.add_argument("--http-clients", type=int, default=8)
    arguments.add_argument(
        "--ws-max", type=int, default=2000, help="most idle WebSockets to try"
    )
    arguments.add_argument(
        "--allow-sql-mismatch",
        action="store_true",
        help="report, instead of failing on, a subject whose SQL count differs",
    )
    arguments.add_argument(
        "--fanout-n", default="100,1000", help="fanout: subscriber counts (100,1000)"
    )
    arguments.add_argument(
        "--fanout-rounds", type=int, default=3, help="fanout: rounds per N (3)"
    )
    arguments.add_argument(
        "--fanout-author-max-n",
        type=int,
        default=100,
        help="fanout: largest N for the post { author } selection (100)",
    )
    arguments.add_argument(
        "--fanout-layers",
        help="fanout and chat: memory,pubsub,core (default: memory, and pubsub "
        "and core when REDIS_URL is set)",
    )
    arguments.add_argument(
        "--chat-participants",
        type=int,
        default=50,
        help="chat: participants of the measured conversation, each with a "
        "socket (50, the limit)",
    )
    arguments.add_argument(
        "--chat-rounds", type=int, default=8, help="chat: messages measured (8)"
    )
    arguments.add_argument(
        "--chat-background",
        type=int,
        default=4,
        help="chat: other conversations sending at the same time (4)",
    )
    arguments.add_argument(
        "--chat-background-size",
        type=int,
        default=10,
        help="chat: participants (sockets) of each other conversation (10)",
    )
    arguments.add_argument(
        "--chat-idle",
        type=int,
        default=100,
        help="chat: further idle sockets, subscribed to chatEvents of nothing (100)",
    )
    arguments.add_argument("--output", default=str(RESULTS), help="'' for none")
    return arguments
