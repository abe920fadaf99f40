"""Job parameters checked against an app's schema: the JSON Schema subset the app contract
names (``type``, ``properties``, ``required``, ``enum``, ``minimum``, ``maximum``, ``default``,
``additionalProperties``). Anything else in a schema is ignored, never guessed at.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from weighthouse.domain.errors import InvalidInputError

PARAMS_MAX_BYTES = 64 * 1024
"""The largest parameters a job may carry, as JSON: they live in the catalog's row."""

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def check_params(schema: Mapping[str, Any], params: Any) -> dict[str, Any]:
    """``params`` with the defaults of missing top-level properties filled in. Raises
    ``InvalidInputError`` naming the first parameter that does not fit."""
    if not isinstance(params, dict):
        raise InvalidInputError("parameters must be a JSON object")
    filled = dict(params)
    for name, prop in (schema.get("properties") or {}).items():
        if name not in filled and isinstance(prop, Mapping) and "default" in prop:
            filled[name] = prop["default"]
    _check(schema, filled, "parameters")
    if len(json.dumps(filled, allow_nan=False).encode()) > PARAMS_MAX_BYTES:
        raise InvalidInputError(f"parameters must be at most {PARAMS_MAX_BYTES} bytes of JSON")
    return filled


def _check(schema: Mapping[str, Any], value: Any, where: str) -> None:
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        if not any(_is(value, k) for k in kinds):
            raise InvalidInputError(f"{where} must be of type {' or '.join(kinds)}", param=where)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"{where} must be a finite number", param=where)
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidInputError(f"{where} must be one of {schema['enum']!r}", param=where)
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            raise InvalidInputError(f"{where} must be at least {schema['minimum']}", param=where)
        if "maximum" in schema and value > schema["maximum"]:
            raise InvalidInputError(f"{where} must be at most {schema['maximum']}", param=where)
    if isinstance(value, dict):
        _check_object(schema, value, where)


def _check_object(schema: Mapping[str, Any], value: dict[str, Any], where: str) -> None:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            raise InvalidInputError(f"{where} lacks {name!r}", param=f"{where}.{name}")
    for name, item in value.items():
        if name in properties:
            _check(properties[name], item, f"{where}.{name}" if where != "parameters" else name)
        elif schema.get("additionalProperties") is False:
            raise InvalidInputError(f"unknown parameter {name!r}", param=name)


def _is(value: Any, kind: str) -> bool:
    # bool is an int in Python, never a number in JSON.
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, ()))
