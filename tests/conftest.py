"""Fixtures shared by the whole suite."""

import json
import os
import threading
import uuid

import pytest
from django.db import connections
from django.test import Client
from strawberry.relay import to_base64

from social.models import User
from tests.live import live_server_url  # noqa: F401 (a fixture for every test)

# `.ci/run` sets this: there, a test that needs a service must run, not skip.
REQUIRE_SERVICES = os.environ.get("PARVIS_REQUIRE_SERVICES") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip the test with `reason` unless `condition`; in CI, fail instead."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def pytest_report_header(config) -> str:
    """Say which services this run uses."""
    from django.conf import settings

    return (
        f"parvis: database {settings.DATABASES['default']['ENGINE']}, "
        f"channel layer {settings.CHANNEL_LAYERS['default']['BACKEND']}"
    )


def pytest_collection_modifyitems(config, items) -> None:
    """Leave out `postgres` tests on another database: they test PostgreSQL's own
    behaviour (row locks). `.ci/run` runs them in its PostgreSQL pass."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item.get_closest_marker("postgres")]
        )
        items[:] = kept


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI, a skipped test is a failure: every service is there to run it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if REQUIRE_SERVICES and skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped in CI: failing the run.")
        session.exitstatus = 1


class GraphQLClient:
    """Posts GraphQL operations to /graphql/ as a client would, over HTTP."""

    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, query: str, variables: dict | None = None, **extra):
        return self.client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers={**self.headers, **extra.pop("headers", {})},
            **extra,
        )

    def execute(self, query: str, variables: dict | None = None) -> dict:
        """Run an operation and return the decoded response body."""
        response = self.post(query, variables)
        assert response.status_code in (200, 400), response.content
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        """Run an operation that must succeed and return its data."""
        body = self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


def at_once(calls: list) -> list[dict]:
    """Run each (client, query, variables) in its own thread, released together;
    return the decoded data of each."""
    barrier = threading.Barrier(len(calls))
    results: list[dict] = []
    failures: list[BaseException] = []

    def run(client: GraphQLClient, query: str, variables: dict) -> None:
        try:
            barrier.wait()
            results.append(client.data(query, variables))
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(results) == len(calls)
    return results


def signed_in(user: User) -> GraphQLClient:
    """A client with a browser session of `user`."""
    client = Client()
    client.force_login(user)
    return GraphQLClient(client)


def gid(obj) -> str:
    """The global ID of a model instance."""
    return to_base64(type(obj).__name__, obj.pk)


def make_user(username: str, **fields) -> User:
    """Create an active user with a password."""
    user = User(username=username, **fields)
    user.set_password("a-long-test-password")
    user.save()
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test passwords cheaply; the production hasher is tested on its own."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Throttling windows are aligned on the clock: long ones here, so that no test
# straddles the end of one (tests/social/test_throttle.py covers the windows).
THROTTLE_WINDOW = 10**9


@pytest.fixture(autouse=True)
def fresh_throttle_counters(settings):
    """Each test counts failed attempts from zero, with the default limits.

    Counters live in the cache, which is Redis in CI and outlives a test run.
    """
    settings.SIGNIN_THROTTLE_KEY_PREFIX = f"signin-test-{uuid.uuid4().hex}"
    settings.SIGNIN_THROTTLE_ACCOUNT_FAILURES = 5
    settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 20
    settings.SIGNIN_THROTTLE_ACCOUNT_WINDOW = THROTTLE_WINDOW
    settings.SIGNIN_THROTTLE_ADDRESS_WINDOW = THROTTLE_WINDOW


@pytest.fixture
def anonymous() -> GraphQLClient:
    return GraphQLClient(Client())


@pytest.fixture
def agent_user(db) -> User:
    return make_user("agathe", first_name="Agathe", last_name="Leroy")


@pytest.fixture
def agent(agent_user) -> GraphQLClient:
    """A signed-in agent (session cookie, as in GraphiQL)."""
    client = Client()
    client.force_login(agent_user)
    return GraphQLClient(client)
