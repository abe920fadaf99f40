"""How listing commands print: ``--json`` gives scripts one JSON document with every field
(dates in ISO 8601, UTC as the server sent them); without it, lines for people."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document for scripts."
)

# Fields a listing never prints, even when the object carries them.
SECRET_FIELDS = frozenset({"secret"})


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=_plain))


def record(item: Any, **extra: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict, secrets left out, ``extra`` fields added."""
    fields = {
        f.name: _plain(getattr(item, f.name))
        for f in dataclasses.fields(item)
        if f.name not in SECRET_FIELDS
    }
    return {**fields, **extra}


def echo_records(items: Iterable[Any]) -> None:
    """``--json`` output of a listing: an array of :func:`record` objects."""
    echo_json([record(item) for item in items])


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return record(value)
    return value
