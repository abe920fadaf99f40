from __future__ import annotations

import base64
import itertools
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.frontends.s3.checksums import ChecksumCheck
from weighthouse.frontends.s3.chunked import AwsChunkedDecoder
from weighthouse.frontends.s3.errors import S3Error

pytestmark = pytest.mark.unit


def encode(data: bytes, chunk: int, trailer: bytes = b"", signed: bool = False) -> bytes:
    out = b""
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        ext = b";chunk-signature=" + b"0" * 64 if signed else b""
        out += f"{len(piece):x}".encode() + ext + b"\r\n" + piece + b"\r\n"
    out += b"0" + (b";chunk-signature=" + b"0" * 64 if signed else b"") + b"\r\n"
    return out + trailer + b"\r\n"


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts} | {0, len(raw)})
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_the_documented_example_decodes_with_its_trailer() -> None:
    raw = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    decoder = AwsChunkedDecoder(11)
    assert b"".join(decoder.decode([raw])) == b"hello world"
    assert decoder.trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}


@given(
    data=st.binary(max_size=3000),
    chunk=st.integers(min_value=1, max_value=700),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_any_read_boundaries_give_the_same_bytes(data: bytes, chunk: int, cuts: list[int]) -> None:
    trailer = f"x-amz-checksum-crc32:{crc32(data)}\r\n".encode()
    raw = encode(data, chunk, trailer, signed=chunk % 2 == 0)
    decoder = AwsChunkedDecoder(len(data))
    check = ChecksumCheck("crc32")

    def finished() -> None:
        check.expect(decoder.trailers["x-amz-checksum-crc32"])

    out = b"".join(check.wrap(decoder.decode(split(raw, cuts)), finished))
    assert out == data


@pytest.mark.parametrize(
    "raw",
    [
        b"5\r\nhello",  # ends inside the framing
        b"5\r\nhelloXX\r\n0\r\n\r\n",  # a chunk longer than its size
        b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
        b"5\r\nhello\r\n",  # no final chunk
        b"5\r\nhello\r\n0\r\n\r\nmore",  # data after the end
    ],
)
def test_malformed_bodies_are_a_400(raw: bytes) -> None:
    with pytest.raises(S3Error) as failed:
        b"".join(AwsChunkedDecoder(None).decode([raw]))
    assert failed.value.status == 400


def test_the_decoded_length_must_match() -> None:
    with pytest.raises(S3Error):
        b"".join(AwsChunkedDecoder(6).decode([encode(b"hello", 2)]))


def test_a_wrong_trailer_checksum_is_bad_digest() -> None:
    raw = encode(b"hello", 3, f"x-amz-checksum-crc32:{crc32(b'other')}\r\n".encode())
    decoder = AwsChunkedDecoder(5)
    check = ChecksumCheck("crc32")
    with pytest.raises(S3Error) as failed:
        b"".join(
            check.wrap(
                decoder.decode([raw]),
                lambda: check.expect(decoder.trailers["x-amz-checksum-crc32"]),
            )
        )
    assert failed.value.code == "BadDigest"


@pytest.mark.parametrize(
    ("algorithm", "check_value"),
    [("crc64nvme", 0xAE8B14860A799888), ("crc32c", 0xE3069283), ("crc32", 0xCBF43926)],
)
def test_published_check_values(algorithm: str, check_value: int) -> None:
    width = 8 if algorithm == "crc64nvme" else 4
    expected = base64.b64encode(check_value.to_bytes(width, "big")).decode()
    check = ChecksumCheck(algorithm, expected)
    assert b"".join(check.wrap([b"1234", b"56789"])) == b"123456789"
