"""A minimal reader of the protocol buffers wire format, enough to walk an ONNX model.

Messages are read straight from the file: a length-delimited field is either descended into
or skipped with a seek, so the weights' raw bytes are never read or held.
(https://protobuf.dev/programming-guides/encoding/)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.weight_files import BoundedReader

VARINT, I64, LEN, I32 = 0, 1, 2, 5


@dataclass(frozen=True)
class Field:
    number: int
    wire_type: int
    value: int
    """The varint or fixed-size value; for a ``LEN`` field, its length in bytes."""
    start: int
    """Where a ``LEN`` field's bytes start in the file."""


def varint(reader: BoundedReader) -> int:
    result = shift = 0
    while shift < 64:
        byte = reader.read(1)
        if not byte:
            raise AppFailed("truncated protobuf varint")
        result |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return result
        shift += 7
    raise AppFailed("protobuf varint longer than 10 bytes")


def fields(reader: BoundedReader, end: int) -> Iterator[Field]:
    """The fields of the message that ends at ``end``. After each ``LEN`` field is yielded, the
    reader is moved past it, whatever the caller read of it."""
    while reader.tell() < end:
        key = varint(reader)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise AppFailed("protobuf field number 0")
        if wire_type == VARINT:
            yield Field(number, wire_type, varint(reader), reader.tell())
        elif wire_type in (I64, I32):
            size = 8 if wire_type == I64 else 4
            raw = reader.exactly(size, "protobuf fixed field")
            yield Field(number, wire_type, int.from_bytes(raw, "little"), reader.tell())
        elif wire_type == LEN:
            size = varint(reader)
            start = reader.tell()
            if size > end - start:
                raise AppFailed("protobuf field runs past its message")
            yield Field(number, wire_type, size, start)
            reader.seek(start + size)
        else:
            raise AppFailed(f"protobuf wire type {wire_type} is not valid here")
    if reader.tell() != end:
        raise AppFailed("protobuf message runs past its end")


def packed_varints(reader: BoundedReader, field: Field) -> list[int]:
    reader.seek(field.start)
    end = field.start + field.value
    values = []
    while reader.tell() < end:
        values.append(varint(reader))
    return values


def text(reader: BoundedReader, field: Field, limit: int = 4096) -> str:
    if field.wire_type != LEN or field.value > limit:
        raise AppFailed(f"protobuf string field {field.number} is not a short string")
    reader.seek(field.start)
    return reader.exactly(field.value, "protobuf string").decode("utf-8", "replace")
