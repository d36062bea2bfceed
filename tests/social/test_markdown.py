"""Markdown bodies rendered to safe HTML (social.markdown.render_markdown)."""

from html.parser import HTMLParser

import pytest

from social.markdown import render_markdown

SAFE_TAGS = {
    "p", "br", "strong", "em", "s", "del", "a", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")


class Tags(HTMLParser):
    """The real elements of an HTML fragment, with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        self.elements.append((tag, dict(attrs)))


def assert_safe(html: str) -> None:
    """No script, no event handler, no style, no link or image to a dangerous
    scheme, and every link with rel="noopener noreferrer nofollow"."""
    for tag, attributes in Tags(html).elements:
        assert tag in SAFE_TAGS, html
        assert not any(name.startswith("on") for name in attributes), html
        assert "style" not in attributes, html
        for name in ("href", "src"):
            if name in attributes:
                assert attributes[name].lower().startswith(SAFE_SCHEMES), html
        if tag == "a":
            assert attributes["rel"] == "noopener noreferrer nofollow", html


ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onclick="steal()">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](java\tscript:alert(1))",
    "[clic](vbscript:msgbox(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="position:fixed">x</div>',
    "<svg onload=alert(1)>",
    "[a](https://ok.example) <b onmouseover=alert(1)>b</b>",
    "<<script>script>alert(1)<</script>/script>",
    "```html\n<script>alert(1)</script>\n```",
    '[x](https://ok.example"onmouseover="alert(1))',
]


@pytest.mark.parametrize("text", ATTACKS)
def test_nothing_dangerous_survives(text):
    """Scripts, event handlers, frames, styles and javascript:/data: links never
    reach the HTML."""
    html = render_markdown(text)
    assert_safe(html)
    assert "<script" not in html.lower()


def test_formatting_is_kept():
    """Emphasis, lists, quotes, code, tables and line breaks render."""
    html = render_markdown(
        "**Gras** _italique_ ~~barré~~\n\n- un\n- deux\n\n> cité\n\n`code`\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nligne 1\nligne 2"
    )
    assert_safe(html)
    for fragment in (
        "<strong>Gras</strong>",
        "<em>italique</em>",
        "<s>barré</s>",
        "<li>un</li>",
        "<blockquote>",
        "<code>code</code>",
        "<td>2</td>",
        "ligne 1<br>",
    ):
        assert fragment in html


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("[la mairie](https://mairie.example)", "https://mairie.example"),
        ("Voir https://mairie.example/agenda", "https://mairie.example/agenda"),
        ("[écrire](mailto:rh@mairie.example)", "mailto:rh@mairie.example"),
        ("[appeler](tel:+33123456789)", "tel:+33123456789"),
    ],
)
def test_links_are_made_safe(text, href):
    """Links (bare URLs too) keep safe schemes and get rel="noopener
    noreferrer nofollow"."""
    [(_, attributes)] = [e for e in Tags(render_markdown(text)).elements if e[0] == "a"]
    assert attributes == {"href": href, "rel": "noopener noreferrer nofollow"}


def test_html_is_shown_as_text():
    """Raw HTML is escaped, so a colleague writing about <b> sees it."""
    assert render_markdown("a <b>b</b>") == "<p>a &lt;b&gt;b&lt;/b&gt;</p>\n"
