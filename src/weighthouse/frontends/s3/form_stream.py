"""A ``multipart/form-data`` body read as it arrives: the fields before the file part are
collected (bounded), then the file part's bytes are handed on piece by piece, never held whole.

S3's POST upload puts the ``file`` field last; fields after it are ignored, as S3 ignores them.
The parsing itself is python-multipart's streaming parser; this module only keeps what the
upload needs from its callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from weighthouse.frontends.s3.errors import S3Error

FILE_FIELD = "file"
MAX_FIELDS_BYTES = 64 * 1024
"""Bytes the fields before the file may take in all (S3 allows 20 KB of them)."""
MAX_FIELDS = 100


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` content type; ``400`` for anything else."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise S3Error(
            400,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
        )
    return boundary


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    value: bytearray = field(default_factory=bytearray)


class FormStream:
    """Feed the raw body with :meth:`feed`; :attr:`fields` fills in (names as sent, values
    as text) until the file part starts (:attr:`file_started`), whose bytes then go to
    :attr:`file_data` for the caller to take with :meth:`take_file_data`; :attr:`file_ended`
    once its last byte is in."""

    def __init__(self, boundary: bytes) -> None:
        self.fields: list[tuple[str, str]] = []
        self.file_started = False
        self.file_ended = False
        self.filename: str | None = None
        self.file_content_type: str | None = None
        self._pending: list[bytes] = []
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._fields_bytes = 0
        self._ended = False
        callbacks: dict[str, Callable[..., None]] = {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_end": self._end,
        }
        self._parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]

    @property
    def ended(self) -> bool:
        """Whether the closing boundary has been read."""
        return self._ended

    def feed(self, data: bytes) -> None:
        if self.file_ended:
            return  # what follows the file is ignored
        try:
            self._parser.write(data)
        except S3Error:
            raise
        except Exception:  # python-multipart's parse errors have no common base
            raise S3Error(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
            ) from None

    def take_file_data(self) -> bytes:
        data = b"".join(self._pending)
        self._pending.clear()
        return data

    # --- parser callbacks ---------------------------------------------------------------------
    def _part_begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name = bytes(self._header_name).decode("latin-1").strip().lower()
        value = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()
        if name == "content-disposition":
            _, options = parse_options_header(value)
            self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
            filename = options.get(b"filename")
            self._part.filename = filename.decode("utf-8", "replace") if filename else None
        elif name == "content-type":
            self._part.content_type = value.decode("latin-1").strip()
        if self._part.name.lower() == FILE_FIELD and not self.file_started:
            self.file_started = True
            self.filename = self._part.filename
            self.file_content_type = self._part.content_type

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file():
            self._pending.append(data[start:end])
            return
        self._count(end - start)
        self._part.value += data[start:end]

    def _part_end(self) -> None:
        if self._is_file():
            self.file_ended = True
            return
        if len(self.fields) >= MAX_FIELDS:
            raise S3Error(400, "MalformedPOSTRequest", f"more than {MAX_FIELDS} form fields")
        value = bytes(self._part.value).decode("utf-8", "surrogateescape")
        self.fields.append((self._part.name, value))

    def _end(self) -> None:
        self._ended = True

    def _is_file(self) -> bool:
        return self.file_started and not self.file_ended and self._part.name.lower() == FILE_FIELD

    def _count(self, size: int) -> None:
        if self.file_started:
            return
        self._fields_bytes += size
        if self._fields_bytes > MAX_FIELDS_BYTES:
            raise S3Error(
                400,
                "MaxPostPreDataLengthExceededError",
                "Your POST request fields preceding the upload file were too large.",
            )
