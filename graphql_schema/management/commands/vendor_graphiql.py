"""Copy GraphiQL's scripts and styles from npm's node_modules into var/vendor.

`make vendor` runs `npm ci --prefix graphiql` and then this command. The files are
checked against the Subresource Integrity hashes of Strawberry's GraphiQL page, so
the page's `integrity` attributes stay valid once its URLs point at the local copies.
"""

import base64
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from strawberry.http.ides import get_graphql_ide_html

from graphql_schema.views import VENDOR_PREFIX, graphiql_assets

# https://unpkg.com/<package>@<version>/<path>
_CDN_URL = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/")


class _IntegrityParser(HTMLParser):
    """Collect the `integrity` attribute of every script and stylesheet."""

    def __init__(self) -> None:
        super().__init__()
        self.integrity: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = values.get("src") if tag == "script" else values.get("href")
        if tag in ("script", "link") and url and values.get("integrity"):
            self.integrity[url] = values["integrity"] or ""


def page_integrity() -> dict[str, str]:
    """Map each asset URL of Strawberry's GraphiQL page to its `integrity` value."""
    parser = _IntegrityParser()
    parser.feed(get_graphql_ide_html("graphiql"))
    parser.close()
    return parser.integrity


def sri_sha384(path: Path) -> str:
    """Return the Subresource Integrity value (sha384) of a file."""
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


class Command(BaseCommand):
    help = (
        "Copy GraphiQL's assets from graphiql/node_modules (npm ci --prefix graphiql) "
        "to var/vendor, checking their versions and SRI hashes against Strawberry's "
        "GraphiQL page."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--node-modules",
            type=Path,
            default=settings.BASE_DIR / "graphiql" / "node_modules",
            help="npm's node_modules folder (default: graphiql/node_modules).",
        )

    def handle(self, *args, **options) -> None:
        node_modules: Path = options["node_modules"]
        vendor_dir = Path(settings.BASE_DIR) / "var" / "vendor"
        assets = graphiql_assets()
        if not assets:
            raise CommandError("Strawberry's GraphiQL page references no unpkg asset.")
        integrity = page_integrity()

        # Check every file before copying any, so a failure leaves no partial set.
        plan: list[tuple[Path, Path, str]] = []
        for cdn_url, local in assets:
            source = self._check(node_modules, cdn_url, local, integrity)
            plan.append((source, vendor_dir / local, integrity[cdn_url]))

        # Start from an empty folder so that files of older versions do not linger.
        shutil.rmtree(vendor_dir / VENDOR_PREFIX, ignore_errors=True)
        for source, target, expected in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            if sri_sha384(target) != expected:
                raise CommandError(f"{target} changed while being copied: run again.")
            self.stdout.write(
                f"Copied {source.relative_to(node_modules)} -> "
                f"{target.relative_to(settings.BASE_DIR)}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Vendored {len(plan)} GraphiQL assets into "
                f"{vendor_dir.relative_to(settings.BASE_DIR)} (versions and SRI "
                "hashes match Strawberry's page)."
            )
        )

    def _check(
        self, node_modules: Path, cdn_url: str, local: str, integrity: dict[str, str]
    ) -> Path:
        """Return the installed file of one asset, after checking version and hash."""
        match = _CDN_URL.match(cdn_url)
        if match is None:
            raise CommandError(f"Unexpected GraphiQL asset URL: {cdn_url}")
        package, version = match.groups()
        source = node_modules / local.removeprefix(f"{VENDOR_PREFIX}/")
        if not source.is_file():
            raise CommandError(
                f"Missing {source} (for {cdn_url}). Install the packages first: "
                "npm ci --prefix graphiql"
            )
        manifest = node_modules / package / "package.json"
        if not manifest.is_file():
            raise CommandError(f"Missing {manifest}: npm ci --prefix graphiql")
        installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if installed != version:
            raise CommandError(
                f"{package} {installed} is installed but Strawberry's GraphiQL page "
                f"uses {version}: pin {package}@{version} in graphiql/package.json."
            )
        expected = integrity.get(cdn_url)
        if not expected:
            raise CommandError(f"Strawberry's page has no integrity for {cdn_url}.")
        if not expected.startswith("sha384-"):
            raise CommandError(f"Unsupported integrity {expected!r} for {cdn_url}.")
        actual = sri_sha384(source)
        if actual != expected:
            raise CommandError(
                f"{source} does not match the integrity of {cdn_url}: expected "
                f"{expected}, got {actual}."
            )
        return source
