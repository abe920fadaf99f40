"""``Content-Encoding: aws-chunked`` bodies, decoded while they stream.

The body is a sequence of ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` ending
with a zero-size chunk, optional trailer lines (``x-amz-checksum-crc32:<b64>``) and an empty
line. The aws-chunks do not line up with the pieces the HTTP layer hands over (boto3 sends
1 MiB aws-chunks in 128 KiB HTTP chunks), so the decoder is a state machine over arbitrary
read boundaries that holds at most one header line, never a chunk: the data is passed on as
it arrives, and the framing is never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from weighthouse.domain.credentials import ChunkSignatures
from weighthouse.frontends.s3.errors import S3Error

MAX_LINE = 4096
MAX_TRAILERS = 16
TRAILER_SIGNATURE = "x-amz-trailer-signature"


def _bad(message: str) -> S3Error:
    return S3Error(400, "IncompleteBody", f"malformed aws-chunked body: {message}")


class AwsChunkedDecoder:
    """Iterate :meth:`decode` over the raw body; afterwards :attr:`trailers` holds the trailer
    lines (lower-case names). With ``signatures``, each chunk's signature is checked as the
    chunk ends, and a signed trailer once the trailer is in."""

    def __init__(
        self, decoded_length: int | None, signatures: ChunkSignatures | None = None
    ) -> None:
        self._decoded_length = decoded_length
        self._signatures = signatures
        self._chunk_hash = hashlib.sha256()
        self.trailers: dict[str, str] = {}
        self._signature: str | None = None  # the current chunk's
        self.decoded = 0

    def decode(self, raw: Iterable[bytes]) -> Iterator[bytes]:
        buffer = bytearray()
        source = iter(raw)
        remaining = 0  # data bytes left in the current chunk
        state = "size"  # size -> data -> crlf -> size ... -> trailer -> done

        def more() -> bool:
            piece = next(source, None)
            if piece is None:
                return False
            buffer.extend(piece)
            return True

        while state != "done":
            if state == "data":
                if not buffer and not more():
                    raise _bad("the body ended inside a chunk")
                take = min(remaining, len(buffer))
                if take:
                    data = bytes(buffer[:take])
                    del buffer[:take]
                    remaining -= take
                    self.decoded += take
                    if self._signatures is not None:
                        self._chunk_hash.update(data)
                    yield data
                if remaining == 0:
                    state = "crlf"
                continue
            if state == "crlf":
                while len(buffer) < 2:
                    if not more():
                        raise _bad("the body ended after a chunk")
                if buffer[:2] != b"\r\n":
                    raise _bad("a chunk is longer than its size")
                del buffer[:2]
                self._verify_chunk()
                state = "size"
                continue
            line = self._line(buffer, more)
            if state == "size":
                remaining = self._chunk_header(line)
                state = "data"
                if not remaining:
                    self._verify_chunk()  # the final, empty chunk is signed too
                    state = "trailer"
                continue
            # trailer lines until an empty one (or the end of the body)
            if line is None or line == "":
                state = "done"
                continue
            name, sep, value = line.partition(":")
            if not sep or len(self.trailers) >= MAX_TRAILERS:
                raise _bad("a trailer line is malformed")
            self.trailers[name.strip().lower()] = value.strip()
        self._verify_trailer()
        if self._decoded_length is not None and self.decoded != self._decoded_length:
            raise _bad("x-amz-decoded-content-length does not match the body")
        if buffer or more():
            raise _bad("data after the final chunk")

    def _verify_chunk(self) -> None:
        if self._signatures is None:
            return
        if self._signature is None:
            raise _bad("a chunk carries no signature")
        self._signatures.verify_chunk(self._chunk_hash.hexdigest(), self._signature)
        self._chunk_hash = hashlib.sha256()

    def _verify_trailer(self) -> None:
        """The signed-trailer variant signs the trailer lines (all but its own signature)."""
        given = self.trailers.pop(TRAILER_SIGNATURE, None)
        if self._signatures is None or given is None:
            return
        lines = "".join(f"{name}:{value}\n" for name, value in self.trailers.items())
        self._signatures.verify_trailer(hashlib.sha256(lines.encode()).hexdigest(), given)

    @staticmethod
    def _line(buffer: bytearray, more: object) -> str | None:
        assert callable(more)
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                return line.decode("ascii", "replace")
            if len(buffer) > MAX_LINE:
                raise _bad("a chunk header is too long")
            if not more():
                if buffer:
                    raise _bad("the body ended inside a line")
                return None

    def _chunk_header(self, line: str | None) -> int:
        if line is None:
            raise _bad("the final chunk is missing")
        size_text, _, extensions = line.partition(";")
        size_text = size_text.strip()
        if (
            not size_text
            or len(size_text) > 16
            or any(c not in "0123456789abcdefABCDEF" for c in size_text)
        ):
            raise _bad("a chunk size is not hex")
        self._signature = None
        for extension in extensions.split(";") if extensions else ():
            name, _, value = extension.partition("=")
            if name.strip() == "chunk-signature":
                self._signature = value.strip()
        return int(size_text, 16)
