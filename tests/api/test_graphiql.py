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
from tests.conftest import require

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


def test_every_graphiql_asset_is_served_by_the_app(client):
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


@pytest.mark.browser
@pytest.mark.live_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("operation", "answer"), OPERATIONS)
def test_graphiql_runs_operations_offline(live_server_url, tmp_path, operation, answer):
    """In headless Chromium cut off from the internet, GraphiQL runs an operation."""
    # given
    require(
        os.path.exists(CHROMIUM), "Chromium not installed (apt-get install chromium)"
    )
    require(sync_api is not None, "playwright not installed (pip install -e '.[dev]')")
    require_vendored()
    offsite: list[str] = []
    problems: list[str] = []

    def only_this_server(route) -> None:
        """Let requests to the live server through and abort every other one."""
        if route.request.url.startswith(f"{live_server_url}/"):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort("internetdisconnected")

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
            browser.route("**/*", only_this_server)
            page = browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"error: {error}"))
            page.on(
                "requestfailed",
                lambda request: problems.append(
                    f"failed: {request.url} {request.failure}"
                ),
            )
            # when
            page.goto(f"{live_server_url}/graphql/?q={quote(operation)}")
            page.locator(".graphiql-execute-button").click()
            # then
            response = page.locator(".result-window")
            sync_api.expect(response).to_contain_text(
                answer, timeout=BROWSER_TIMEOUT_MS
            )
        except (sync_api.Error, AssertionError) as error:
            raise AssertionError(
                f"GraphiQL did not run the query: {error}\n"
                f"off-site requests: {offsite}\nproblems: {problems}"
            ) from error
        finally:
            browser.close()

    assert offsite == [], f"GraphiQL asked for off-site resources: {offsite}"
    assert problems == [], problems
