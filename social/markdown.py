"""Markdown bodies rendered to sanitised HTML, for posts, comments and messages."""

from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


@cache
def _renderer() -> MarkdownIt:
    # Raw HTML is escaped, not passed through; bare links become links.
    return MarkdownIt(
        "commonmark", {"html": False, "linkify": True, "breaks": True}
    ).enable(["linkify", "strikethrough", "table"])


def render_markdown(text: str) -> str:
    """Render Markdown `text` to HTML that is safe to insert in a page.

    The sanitiser keeps formatting tags only, drops scripts, event handlers and
    `javascript:` links, and marks links `rel="noopener noreferrer nofollow"`.
    """
    html = _renderer().render(text or "")
    return nh3.clean(
        html,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
