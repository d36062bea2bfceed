"""The app under daphne in a subprocess, for tests that need a real server.

Tests that use `live_server_url` and write data the server must see mark themselves
`@pytest.mark.django_db(transaction=True)`: the server reads the pytest test
database (a file for SQLite, see settings) through its own connections.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_CHARS = 2_000_000


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """Build the DATABASE_URL of a Django database's settings (SQLite, PostgreSQL)."""
    engine, name = settings_dict["ENGINE"], str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError(
                "A live server cannot share an in-memory SQLite database: set "
                "DATABASES['default']['TEST']['NAME'] to a file."
            )
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        options = {
            key: value
            for key, value in (settings_dict.get("OPTIONS") or {}).items()
            if isinstance(value, str | int)
        }
        query = f"?{urlencode(options)}" if options else ""
        return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}{query}"
    raise RuntimeError(f"No DATABASE_URL for the database engine {engine}.")


def _read_log(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return text[-LOG_TAIL_CHARS:]


def _wait_until_healthy(
    process: subprocess.Popen, base_url: str, log_path: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"daphne exited with code {process.returncode} before answering "
                f"/healthz; its output:\n{_read_log(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
                last_error = f"HTTP {answer.status}"
        except urllib.error.HTTPError as error:
            last_error = f"HTTP {error.code}: {error.read()[:500]!r}"
        except OSError as error:
            last_error = repr(error)
        time.sleep(0.2)
    raise RuntimeError(
        f"daphne did not answer 200 on /healthz within {STARTUP_TIMEOUT_SECONDS:.0f}"
        f" s (last: {last_error}); its output:\n{_read_log(log_path)}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _show_log(request: pytest.FixtureRequest, log_path: Path) -> None:
    """Print the server's output under the test's report in the terminal."""
    title = f"daphne output for {request.node.nodeid}"
    log = _read_log(log_path) or "(empty)"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        sys.stderr.write(f"\n--- {title} ---\n{log}\n")
        return
    reporter.write_sep("-", title)
    reporter.write_line(log.rstrip("\n"))


@contextlib.contextmanager
def running_server(
    request: pytest.FixtureRequest, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run the app under daphne on a free port, with `env` added to the
    environment, and yield its base URL; its output is shown if the test fails."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server_env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "project.asgi:application",
    ]
    failures_before = request.session.testsfailed
    with tempfile.TemporaryDirectory(prefix="parvis-live-") as folder:
        log_path = Path(folder) / "daphne.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        failed = False
        try:
            _wait_until_healthy(process, base_url, log_path)
            yield base_url
        except BaseException:
            # Used inside a test's body: the test has not been counted failed yet.
            failed = True
            raise
        finally:
            _stop(process)
            if failed or request.session.testsfailed > failures_before:
                _show_log(request, log_path)


@pytest.fixture
def live_server_url(
    request: pytest.FixtureRequest, django_db_setup: None
) -> Iterator[str]:
    """Run the app under daphne on a free port and yield its base URL."""
    with running_server(request) as base_url:
        yield base_url


class PrivateRedis:
    """A redis-server of the test's own on `port` (nothing saved), which the test
    may kill and start again on the same port, as an outage does."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="parvis-redis-")

    def start(self) -> "PrivateRedis":
        import redis

        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self._folder.name,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"redis-server did not start on port {self.port}"
                    ) from None
                time.sleep(0.05)
            finally:
                client.close()
        return self

    def kill(self) -> None:
        """Stop it at once (SIGKILL), as a crashed Redis goes away."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self.process = None

    def close(self) -> None:
        self.kill()
        self._folder.cleanup()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """Start a redis-server of the test's own on a free port, and kill it after."""
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.close()
