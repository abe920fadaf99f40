"""How stored bytes are labelled on the way out, so a browser never runs them as our page.

Anyone with write access chooses the bytes and, for bucket objects, the ``Content-Type``; a
repo file's type is guessed from its name. Served on the API's own origin as ``text/html`` or
``image/svg+xml``, such a file could run script with a signed-in visitor's cookies. So:

* every response carrying stored bytes says ``X-Content-Type-Options: nosniff`` (no guessing
  a type from the bytes), ``Content-Disposition: attachment`` (set by the download response)
  and a ``Content-Security-Policy`` that sandboxes the document and loads nothing;
* the ``Content-Type`` is served as stored only when it is on a short list of types browsers
  display inertly (images other than SVG, audio, video, plain text, JSON, CSV, YAML, Markdown,
  archives); anything else, HTML, SVG, XML, JavaScript and unknown types included, goes out
  as ``application/octet-stream``. The stored metadata keeps the type the client gave.
"""

from __future__ import annotations

from weighthouse import wire

USER_CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
"""Headers every response with stored bytes (or about them: 304, HEAD) carries."""

_INERT_TYPES = frozenset(
    {
        wire.OCTET_STREAM,
        "text/plain",
        "text/csv",
        "text/markdown",
        "text/tab-separated-values",
        "application/json",
        "application/jsonl",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
        "application/vnd.apache.parquet",
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
    }
)
_INERT_FAMILIES = ("image/", "audio/", "video/")
_ACTIVE_IMAGES = frozenset({"image/svg+xml"})


def served_type(stored: str | None) -> str:
    """The ``Content-Type`` to send for bytes stored as ``stored``: the stored value when its
    media type is inert, else ``application/octet-stream``. Never raises."""
    if not stored:
        return wire.OCTET_STREAM
    essence = stored.split(";", 1)[0].strip().lower()
    inert = essence in _INERT_TYPES or (
        essence.startswith(_INERT_FAMILIES) and essence not in _ACTIVE_IMAGES
    )
    if not inert or not stored.isascii() or not stored.isprintable():
        return wire.OCTET_STREAM
    return stored
