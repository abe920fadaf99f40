"""A repo's README as its card: YAML front matter as metadata, the rest as inert HTML.

Markdown is rendered by markdown-it with raw HTML off, so ``<script>`` and any other tag show
as text. Links keep only ``http``, ``https`` and ``mailto`` targets and fragments; a relative
link points at the repo's own file page, a relative image at its download. An image from
another server becomes a plain link: the page policy loads images from this server only.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from weighthouse.frontends.hf.cards import InvalidCardError, front_matter

CARD_READ_MAX = 512 * 1024
"""Bytes of ``README.md`` rendered; a longer card is cut there."""
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})

Linker = Callable[[str], str]
"""A repo path to the URL of its page (or of its bytes, for images)."""


@dataclass(frozen=True)
class Card:
    html: str
    """Safe to put in the page as it is."""
    metadata: dict[str, Any] | None
    metadata_error: str | None = None
    truncated: bool = False


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


_MD = _markdown()


def split_front_matter(text: str) -> tuple[str, str]:
    """The front matter block (without its ``---`` lines) and the Markdown after it."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return "", text
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    return "", text


def render_card(raw: bytes, *, base: str, page_of: Linker, bytes_of: Linker) -> Card:
    """The card of a README whose first bytes are ``raw``; ``base`` is the README's folder
    in the repo, against which relative links resolve."""
    truncated = len(raw) > CARD_READ_MAX
    text = raw[:CARD_READ_MAX].decode("utf-8", "replace")
    metadata: dict[str, Any] | None = None
    error: str | None = None
    try:
        metadata = front_matter(text)
    except InvalidCardError as exc:
        error = str(exc)
    _, body = split_front_matter(text)
    tokens = _MD.parse(body)
    for token in tokens:
        if token.children:
            token.children = _safe_inline(token.children, base, page_of, bytes_of)
    html = _MD.renderer.render(tokens, _MD.options, {})
    return Card(html=html, metadata=metadata, metadata_error=error, truncated=truncated)


def _target(url: str, base: str, linker: Linker) -> str | None:
    """Where a link or image may point, or ``None`` when it may not point anywhere."""
    url = url.strip()
    if url.startswith("#"):
        return url
    parts = urlsplit(url)
    if parts.scheme:
        scheme = parts.scheme.lower()
        if scheme == "mailto" or (scheme in EXTERNAL_SCHEMES and parts.netloc):
            return url
        return None
    if parts.netloc or url.startswith(("/", "\\")):
        return None  # protocol-relative or absolute paths name no file of the repo
    path = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
    if path.startswith("..") or path in ("", "."):
        return None
    return linker(path)


def _safe_inline(
    children: list[Token], base: str, page_of: Linker, bytes_of: Linker
) -> list[Token]:
    out: list[Token] = []
    for token in children:
        if token.type == "link_open":
            href = _target(str(token.attrGet("href") or ""), base, page_of)
            token.attrs = {}
            if href is not None:
                token.attrSet("href", href)
                if urlsplit(href).scheme:
                    token.attrSet("rel", "nofollow noopener noreferrer")
            out.append(token)
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            if urlsplit(src.strip()).scheme:
                out.extend(_image_as_link(token, _target(src, base, page_of)))
                continue
            local = _target(src, base, bytes_of)
            if local is None:
                out.extend(_image_as_link(token, None))
                continue
            token.attrSet("src", local)
            out.append(token)
        else:
            out.append(token)
    return out


def _image_as_link(image: Token, href: str | None) -> list[Token]:
    alt = image.content or "image"
    text = Token("text", "", 0, content=alt)
    if href is None:
        return [text]
    opening = Token(
        "link_open", "a", 1, attrs={"href": href, "rel": "nofollow noopener noreferrer"}
    )
    return [opening, text, Token("link_close", "a", -1)]
