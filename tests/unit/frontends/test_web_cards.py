"""Model cards render inert: no raw HTML, no script links, no images from elsewhere."""

from __future__ import annotations

import re

import pytest

from weighthouse.frontends.web.cards import CARD_READ_MAX, render_card, split_front_matter

pytestmark = pytest.mark.unit


def render(text: str, base: str = "") -> str:
    card = render_card(
        text.encode(), base=base, page_of=lambda p: f"/page/{p}", bytes_of=lambda p: f"/bytes/{p}"
    )
    return card.html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil></iframe>",
        "<div style='background:url(javascript:alert(1))'>x</div>",
        "<!-- comment --><svg onload=alert(1)>",
    ],
)
def test_raw_html_shows_as_text(source: str) -> None:
    html = render(f"before\n\n{source}\n\nafter")
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "<svg" not in html and "<div" not in html and "<!--" not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java%0ascript:alert(1)",
        "vbscript:x",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "//evil.example/x",
        "/api/tokens",
        "../../other/repo",
    ],
)
def test_links_go_only_where_they_may(target: str) -> None:
    html = render(f"[x]({target}) ![y]({target})")
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert all(h.startswith(("/page/", "/bytes/")) for h in hrefs), hrefs
    assert "javascript" not in " ".join(hrefs).lower()


def test_relative_links_open_the_repo_and_remote_images_become_links() -> None:
    html = render(
        "[a](docs/a.md) [b](#part) [c](https://example.org/) ![i](img/x.png)"
        " ![r](https://example.org/r.png)",
        base="sub",
    )
    assert 'href="/page/sub/docs/a.md"' in html
    assert 'href="#part"' in html
    assert '<a href="https://example.org/" rel="nofollow noopener noreferrer">c</a>' in html
    assert '<img src="/bytes/sub/img/x.png" alt="i"' in html
    assert '<a href="https://example.org/r.png" rel="nofollow noopener noreferrer">r</a>' in html


def test_front_matter_is_metadata_not_text() -> None:
    card = render_card(
        b"---\nlicense: mit\ntags: [a, b]\n---\n# Title\n", base="", page_of=str, bytes_of=str
    )
    assert card.metadata == {"license": "mit", "tags": ["a", "b"]}
    assert "license" not in card.html and "<h1>Title</h1>" in card.html
    bad = render_card(b"---\na: &x 1\nb: *x\n---\nbody\n", base="", page_of=str, bytes_of=str)
    assert bad.metadata is None and bad.metadata_error and "body" in bad.html
    assert split_front_matter("no front matter\n") == ("", "no front matter\n")


def test_a_long_card_is_cut() -> None:
    card = render_card(b"x" * (CARD_READ_MAX + 10), base="", page_of=str, bytes_of=str)
    assert card.truncated and len(card.html) < CARD_READ_MAX + 100
