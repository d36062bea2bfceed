"""GraphiQL at /graphql/: served with its own assets, it works without internet."""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.templatetags.static import static
from django.test import Client

from graphql_schema.management.commands.vendor_graphiql import (
    page_integrity,
    sri_sha384,
)
from graphql_schema.views import graphiql_assets
from tests.conftest import make_user, require

try:  # The browser driver, from the dev extras; it never downloads a browser here.
    from playwright import sync_api
except ImportError:  # pragma: no cover - reported by the browser test
    sync_api = None

CHROMIUM = "/usr/bin/chromium"
NODE_MODULES = Path(settings.BASE_DIR) / "graphiql" / "node_modules"
BROWSER_TIMEOUT_MS = 60_000
# Anonymous visitors see an empty directory: a stable answer from a real resolver.
# What GraphiQL runs, and what its result pane then shows: a query over HTTP, and
# a subscription over the WebSocket.
OPERATIONS = [
    ("query { users { totalCount } }", '"totalCount": 0'),
    ("subscription { serverTime(count: 1) }", '"serverTime": "'),
]
_ASSET_URL = re.compile(r"""(?:src|href)="([^"]+\.(?:js|css))\"""")


def vendored() -> bool:
    """Tell whether `make vendor` installed every GraphiQL asset."""
    return all(finders.find(local) for _, local in graphiql_assets())


def require_vendored() -> None:
    """Skip (fail in CI) unless the GraphiQL assets are vendored."""
    require(vendored(), "GraphiQL assets not vendored: run `make vendor` (needs npm)")


def get_graphiql(client: Client):
    return client.get("/graphql/", headers={"Accept": "text/html"})


def test_graphiql_page_is_html(client):
    """A browser asking /graphql/ for HTML gets the GraphiQL page."""
    # when
    response = get_graphiql(client)
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "graphiql" in response.content.decode().lower()
    assert response["X-GraphiQL-Assets"] == ("local" if vendored() else "cdn")


def test_graphiql_page_uses_no_cdn_when_vendored(client):
    """With the assets vendored, the page loads nothing from unpkg.com."""
    # given
    require_vendored()
    # when
    response = get_graphiql(client)
    # then
    html = response.content.decode()
    assert response["X-GraphiQL-Assets"] == "local"
    assert "unpkg.com" not in html
    for _, local in graphiql_assets():
        assert f'"{static(local)}"' in html


def test_graphiql_page_keeps_valid_integrity_attributes(client):
    """Every vendored asset matches the SRI hash the page announces for it."""
    # given
    require_vendored()
    integrity = page_integrity()
    # when / then
    for cdn_url, local in graphiql_assets():
        assert sri_sha384(Path(finders.find(local))) == integrity[cdn_url], local


def test_every_graphiql_asset_is_served_by_the_app(client, db):
    """Every script and stylesheet of the page answers 200 from the app itself."""
    # given
    require_vendored()
    html = get_graphiql(client).content.decode()
    urls = _ASSET_URL.findall(html)
    # then
    assert len(urls) == len(graphiql_assets())
    for url in urls:
        assert not urlsplit(url).netloc, url
        response = client.get(url)
        body = response.getvalue()
        response.close()
        assert response.status_code == 200, url
        assert body, url


def test_vendor_command_names_a_missing_file(tmp_path):
    """vendor_graphiql fails, naming the file, when npm did not install it."""
    # when
    with pytest.raises(CommandError, match=r"Missing .*react\.production\.min\.js"):
        call_command("vendor_graphiql", node_modules=tmp_path)


def test_vendor_command_refuses_a_file_that_breaks_integrity(tmp_path):
    """vendor_graphiql fails when a file does not match the page's SRI hash."""
    # given: the right versions installed, but one file altered
    require(NODE_MODULES.is_dir(), "graphiql/node_modules absent: run `make vendor`")
    for _, local in graphiql_assets():
        relative = Path(local).relative_to("graphiql")
        package = Path(*relative.parts[: 2 if relative.parts[0][0] == "@" else 1])
        for name in (relative, package / "package.json"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE_MODULES / name, tmp_path / name)
    altered = tmp_path / "js-cookie" / "dist" / "js.cookie.min.js"
    altered.write_text("/* not the published file */", encoding="utf-8")
    # when
    with pytest.raises(CommandError, match=r"js\.cookie\.min\.js does not match"):
        call_command("vendor_graphiql", node_modules=tmp_path)


class OfflineGraphiQL:
    """GraphiQL in headless Chromium that can reach nothing but the live server."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.offsite: list[str] = []
        self.problems: list[str] = []

    def open(self, operation: str) -> None:
        self.page.goto(f"{self.base_url}/graphql/?q={quote(operation)}")

    def run(self, operation: str | None = None) -> None:
        """Run the editor's operation, after typing `operation` in it if given."""
        if operation is not None:
            self.page.evaluate(
                "text => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.setValue(text)",
                operation,
            )
        self.page.locator(".graphiql-execute-button").click()

    def expect_result(self, text: str) -> None:
        sync_api.expect(self.page.locator(".result-window")).to_contain_text(
            text, timeout=BROWSER_TIMEOUT_MS
        )


@pytest.fixture
def graphiql(live_server_url, tmp_path):
    """A fresh offline browser on GraphiQL; fails the test on any off-site request."""
    require(
        os.path.exists(CHROMIUM), "Chromium not installed (apt-get install chromium)"
    )
    require(sync_api is not None, "playwright not installed (pip install -e '.[dev]')")
    require_vendored()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # Nothing but the loopback resolves: the browser is offline.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            browser.set_default_timeout(BROWSER_TIMEOUT_MS)
            session = OfflineGraphiQL(browser.new_page(), live_server_url)

            def only_this_server(route) -> None:
                if route.request.url.startswith(f"{live_server_url}/"):
                    route.continue_()
                else:
                    session.offsite.append(route.request.url)
                    route.abort("internetdisconnected")

            browser.route("**/*", only_this_server)
            session.page.on(
                "pageerror", lambda error: session.problems.append(f"error: {error}")
            )
            session.page.on(
                "requestfailed",
                lambda request: session.problems.append(
                    f"failed: {request.url} {request.failure}"
                ),
            )
            yield session
        finally:
            browser.close()
    assert session.offsite == [], (
        f"GraphiQL asked for off-site resources: {session.offsite}"
    )
    assert session.problems == [], session.problems


@pytest.mark.browser
@pytest.mark.live_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("operation", "answer"), OPERATIONS)
def test_graphiql_runs_operations_offline(graphiql, operation, answer):
    """In headless Chromium cut off from the internet, GraphiQL runs an operation."""
    graphiql.open(operation)
    graphiql.run()
    graphiql.expect_result(answer)


@pytest.fixture
def gregoire(transactional_db, settings):
    """An agent, made before the browser starts (its event loop forbids the ORM),
    with a password hash the live server knows (the suite's own is MD5)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return make_user("gregoire.petit")


@pytest.mark.browser
@pytest.mark.live_server
@pytest.mark.django_db(transaction=True)
def test_signing_in_from_graphiql_then_querying_as_the_user(gregoire, graphiql):
    """`login` in GraphiQL opens a session; the next query (same page, CSRF token
    rotated by the sign-in) runs as the signed-in user."""
    # given
    graphiql.open(
        'mutation { login(input: {identifier: "gregoire.petit", '
        'password: "a-long-test-password"}) { user { username } errors { code } } }'
    )
    graphiql.run()
    graphiql.expect_result('"username": "gregoire.petit"')
    # when
    graphiql.run("query { viewer { username } }")
    # then
    graphiql.expect_result('"viewer": {')
    graphiql.expect_result('"username": "gregoire.petit"')
