"""Syntax highlighting of a small text file, on the server: Pygments picks a lexer by the
file's name only (never by guessing from its contents, which is slow and surprising) and
writes spans with class names, which ``web.css`` colours; the page policy allows no inline
style. Pygments escapes the text, so the result is safe to put in the page as it is.
"""

from __future__ import annotations

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound

HIGHLIGHT_MAX = 128 * 1024
"""Larger text files are shown plain: highlighting costs time in proportion to the text."""

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")


def highlighted(path: str, text: str) -> str | None:
    """The text as highlighted HTML, or ``None`` for a file too large or of no known kind
    (the page shows it as escaped text instead)."""
    if len(text) > HIGHLIGHT_MAX:
        return None
    name = path.rpartition("/")[2]
    try:
        lexer = get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    result: str = pygments_highlight(text, lexer, _FORMATTER)
    return result
