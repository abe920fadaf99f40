"""The ``Condition`` block of a bucket policy: its operators, checked when the policy is set,
and how a request's facts are held against them.

Supported, as IAM defines them: the ``String*`` operators (``Equals``, ``NotEquals``,
``EqualsIgnoreCase``, ``NotEqualsIgnoreCase``, ``Like``, ``NotLike``), ``Numeric*`` and
``Date*`` (``Equals``, ``NotEquals``, ``LessThan``, ``LessThanEquals``, ``GreaterThan``,
``GreaterThanEquals``), ``Bool``, ``BinaryEquals``, ``IpAddress``/``NotIpAddress``,
``Arn*`` (``Equals``, ``Like``, ``NotEquals``, ``NotLike``) and ``Null``; each but ``Null``
also with the ``IfExists`` suffix and the ``ForAllValues:``/``ForAnyValue:`` prefixes. Any
other operator, or a value the operator cannot read (``NumericLessThan: "ten"``, a bad CIDR),
is a ``MalformedPolicyError`` when the policy is set, never an error when a request is
checked.

Keys start with ``aws:`` or ``s3:`` and are compared without case, except for the part
after a ``/`` (the tag key of ``s3:ExistingObjectTag/<key>``). A key the request does not
have fails a condition, except under a negated operator (``StringNotEquals``,
``NotIpAddress``, ...), ``ForAllValues:``, ``...IfExists`` and ``Null: true``, as in IAM.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from weighthouse.domain.errors import MalformedPolicyError

Lookup = Callable[[str], tuple[str, ...] | None]
"""A request's values of a condition key (normalised by :func:`normal_key`), or ``None``
when the request has no such key."""

_STRING = ("stringequals", "stringequalsignorecase", "stringlike")
_NUMERIC = (
    "numericequals",
    "numericlessthan",
    "numericlessthanequals",
    "numericgreaterthan",
    "numericgreaterthanequals",
)
_DATE = tuple(name.replace("numeric", "date") for name in _NUMERIC)
_POSITIVE = (*_STRING, *_NUMERIC, *_DATE, "bool", "binaryequals", "ipaddress", "arnequals")
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}
OPERATORS = frozenset((*_POSITIVE, "arnlike", *_NEGATED, "null"))
"""Every operator (lower-case, without qualifier or suffix) a condition may use."""

_QUALIFIERS = ("forallvalues", "foranyvalue")


@dataclass(frozen=True)
class Condition:
    """One key of one operator: ``{"StringLike": {"s3:prefix": ["home/*", ""]}}`` is
    ``Condition("stringlike", None, False, "s3:prefix", ("home/*", ""))``."""

    operator: str
    qualifier: str | None
    if_exists: bool
    key: str
    values: tuple[str, ...]

    def holds(self, lookup: Lookup) -> bool:
        """Whether the request ``lookup`` describes meets this condition."""
        found = lookup(self.key)
        if self.operator == "null":
            return (found is None or not found) == (self.values[0] == "true")
        base = _NEGATED.get(self.operator, self.operator)
        negated = base != self.operator
        if found is None or not found:
            return negated or self.if_exists or self.qualifier == "forallvalues"

        def hit(value: str) -> bool:
            matched = any(_match(base, value, wanted) for wanted in self.values)
            return matched != negated

        if self.qualifier == "forallvalues":
            return all(hit(value) for value in found)
        if self.qualifier == "foranyvalue" or not negated:
            return any(hit(value) for value in found)
        return all(hit(value) for value in found)


def normal_key(key: str) -> str:
    """A condition key as requests are looked up by: lower case up to the first ``/``."""
    head, slash, tail = key.partition("/")
    return head.lower() + slash + tail


def parse_conditions(block: object) -> tuple[Condition, ...]:
    """The conditions of a statement's ``Condition`` value; ``MalformedPolicyError`` for
    anything :mod:`this module <weighthouse.domain.policy_conditions>` does not accept."""
    if not isinstance(block, dict) or not block:
        raise MalformedPolicyError("Condition must be a non-empty object of operators")
    conditions = []
    for name, keys in block.items():
        qualifier, operator, if_exists = _operator(name)
        if not isinstance(keys, dict) or not keys:
            raise MalformedPolicyError(f"condition operator {name!r} needs an object of keys")
        for key, raw in keys.items():
            if not key.lower().startswith(("aws:", "s3:")) or len(key) > 256:
                raise MalformedPolicyError(f"Policy has an invalid condition key: {key[:64]!r}")
            values = tuple(_check_value(operator, _text(v, name)) for v in _listed(raw, name))
            if operator == "null" and len(values) != 1:
                raise MalformedPolicyError("a Null condition takes one value, true or false")
            conditions.append(Condition(operator, qualifier, if_exists, normal_key(key), values))
    return tuple(conditions)


def _operator(name: object) -> tuple[str | None, str, bool]:
    if not isinstance(name, str):
        raise MalformedPolicyError("condition operators are names")
    qualifier, colon, rest = name.lower().partition(":")
    if not colon:
        qualifier, rest = "", qualifier
    if qualifier and qualifier not in _QUALIFIERS:
        raise MalformedPolicyError(f"Invalid Condition type: {name[:64]}")
    if_exists = rest.endswith("ifexists") and rest != "null"
    operator = rest.removesuffix("ifexists") if if_exists else rest
    if operator not in OPERATORS or (operator == "null" and (if_exists or qualifier)):
        raise MalformedPolicyError(f"Invalid Condition type: {name[:64]}")
    return qualifier or None, operator, if_exists


def _listed(raw: object, name: str) -> list[object]:
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise MalformedPolicyError(f"condition {name!r} has a key with no values")
    return values


def _text(value: object, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    raise MalformedPolicyError(f"condition {name!r} values must be strings, numbers or booleans")


def _check_value(operator: str, value: str) -> str:
    base = _NEGATED.get(operator, operator)
    readers: dict[str, Callable[[str], object]] = {
        **dict.fromkeys(_NUMERIC, _number),
        **dict.fromkeys(_DATE, _date),
        "ipaddress": _network,
        "binaryequals": _binary,
    }
    if base in readers and readers[base](value) is None:
        raise MalformedPolicyError(f"{value[:64]!r} is not a value {operator} can compare")
    if base in ("bool", "null") and value.lower() not in ("true", "false"):
        raise MalformedPolicyError(f"{operator} takes true or false, not {value[:64]!r}")
    return value.lower() if base in ("bool", "null") else value


def _match(operator: str, value: str, wanted: str) -> bool:
    if operator in ("stringequals", "arnequals"):
        return value == wanted
    if operator == "stringequalsignorecase":
        return value.casefold() == wanted.casefold()
    if operator in ("stringlike", "arnlike"):
        return glob_match(wanted, value)
    if operator == "bool":
        return value.lower() == wanted
    if operator == "binaryequals":
        return _binary(value) == _binary(wanted)
    if operator == "ipaddress":
        return _in_network(value, wanted)
    reader = _number if operator.startswith("numeric") else _date
    return _compare(operator.removeprefix("numeric").removeprefix("date"), reader, value, wanted)


def _compare(kind: str, reader: Callable[[str], float | None], value: str, wanted: str) -> bool:
    have, limit = reader(value), reader(wanted)
    if have is None or limit is None:
        return False
    return {
        "equals": have == limit,
        "lessthan": have < limit,
        "lessthanequals": have <= limit,
        "greaterthan": have > limit,
        "greaterthanequals": have >= limit,
    }[kind]


def _number(text: str) -> float | None:
    text = text.strip()
    if not text or len(text) > 64 or not all(c in "0123456789+-.eE" for c in text):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    """A date as seconds since the epoch: ISO 8601 (UTC without a zone) or epoch seconds."""
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return float(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _in_network(address: str, network: str) -> bool:
    wanted = _network(network)
    try:
        have = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return wanted is not None and have.version == wanted.version and have in wanted


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def glob_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern``, where ``*`` is any run of characters (``/``
    included) and ``?`` any one character; in time linear in the product of the lengths at
    worst, whatever the pattern."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]) and pattern[p] != "*":
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    return all(c == "*" for c in pattern[p:])
