"""Bucket policies: the JSON access-policy language S3 buckets carry, checked when it is set
and held against each request.

A policy is ``{"Version": ..., "Id": ..., "Statement": [...]}``, at most 20 KB, ``Version``
``2012-10-17`` or ``2008-10-17`` (the default). Each statement has an ``Effect``
(``Allow`` or ``Deny``), a ``Principal`` or ``NotPrincipal``, an ``Action`` or
``NotAction``, a ``Resource`` or ``NotResource``, and optionally a ``Sid`` (unique in the
policy) and a ``Condition`` (:mod:`~weighthouse.domain.policy_conditions`). Anything else,
including a field given twice, is refused with ``MalformedPolicyError`` when the policy is
set, so a request never meets a policy it cannot read.

* **Principals.** ``"*"`` and ``{"AWS": "*"}`` are everyone, anonymous callers included. A
  user is named by the ID S3 reports as an owner (``Owner/ID`` in ListBuckets): bare,
  ``{"AWS": "<id>"}`` or ``{"CanonicalUser": "<id>"}``, or as the account ARN
  ``arn:aws:iam::<id>:root``; the forms are equivalent. ``Service`` and ``Federated``
  principals are accepted and match no caller of this server.
* **Actions.** IAM's S3 action names (:mod:`~weighthouse.domain.policy_actions`), without
  case, with ``*`` and ``?`` wildcards (``s3:*``, ``s3:Get*``); ``*`` is every action.
* **Resources.** ``arn:aws:s3:::<bucket>`` (the bucket) and ``arn:aws:s3:::<bucket>/<key>``
  (its objects), with ``*`` (any run of characters, ``/`` included) and ``?``; each must be
  able to name the bucket or something in it. ``<bucket>`` is the bucket's S3 name,
  ``<namespace>--<name>``.

Evaluation, as S3's: a Deny that applies wins; otherwise an Allow that applies grants the
request; otherwise the policy says nothing and the server's own rules decide
(:mod:`~weighthouse.domain.access`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from weighthouse.domain.errors import MalformedPolicyError
from weighthouse.domain.policy_actions import ACTIONS, BUCKET, OBJECT, resource_kind
from weighthouse.domain.policy_conditions import Condition, glob_match, parse_conditions

POLICY = "policy"
"""The bucket configuration (:mod:`~weighthouse.domain.bucket_configurations`) holding the
policy, as ``{"text": <the policy as set>}``."""
MAX_BYTES = 20 * 1024
VERSIONS = ("2012-10-17", "2008-10-17")
ARN_PREFIX = "arn:aws:s3:::"
S3_BUCKET_SEPARATOR = "--"
EVERYONE = "*"

_TOP = ("Version", "Id", "Statement")
_FIELDS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_TYPES = ("AWS", "CanonicalUser", "Service", "Federated")
# Condition keys that tie a statement to particular callers or networks: a statement
# naming everyone with one of them is not public (as S3's GetBucketPolicyStatus judges).
_NARROWING = (
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:username",
)


class Verdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"


@dataclass(frozen=True)
class PolicyRequest:
    """What a request asks of a bucket, in the policy's terms: ``action`` (``s3:GetObject``,
    any case), the object ``key`` (``None`` for the bucket itself) and the request's
    condition ``facts`` by key (:func:`~weighthouse.domain.policy_conditions.normal_key`).
    ``s3:ExistingObjectTag/<key>`` is looked up from the stored object when a condition
    asks for it."""

    action: str
    key: str | None = None
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_object(self, action: str, key: str | None) -> PolicyRequest:
        """The same request's facts for another action or key (a copy's source, one key of
        a multi-object delete)."""
        return PolicyRequest(action, key, self.facts)


@dataclass(frozen=True)
class Statement:
    effect: Verdict
    principals: frozenset[str]
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...] = ()

    def names(self, caller: frozenset[str]) -> bool:
        """Whether the statement's principal covers a caller known by the IDs ``caller``
        (empty for an anonymous caller)."""
        hit = EVERYONE in self.principals or bool(self.principals & caller)
        return hit != self.not_principal

    def covers_action(self, action: str) -> bool:
        hit = any(glob_match(pattern, action.lower()) for pattern in self.actions)
        return hit != self.not_action

    def covers_resource(self, resource: str) -> bool:
        hit = any(glob_match(pattern, resource) for pattern in self.resources)
        return hit != self.not_resource


@dataclass(frozen=True)
class BucketPolicy:
    statements: tuple[Statement, ...]

    def decide(
        self,
        request: PolicyRequest,
        bucket: str,
        caller: frozenset[str],
        existing_tags: Callable[[], Mapping[str, str]] = dict,
    ) -> Verdict:
        """What the policy says of ``request`` on the bucket whose S3 name is ``bucket`` by
        the caller with the IDs ``caller``. ``existing_tags`` gives the object's tags, read
        only if a condition asks for them."""
        resource = bucket if request.key is None else f"{bucket}/{request.key}"
        tags: list[Mapping[str, str]] = []

        def lookup(key: str) -> tuple[str, ...] | None:
            if key.startswith("s3:existingobjecttag/"):
                if not tags:
                    tags.append(existing_tags() if request.key is not None else {})
                value = tags[0].get(key.partition("/")[2])
                return None if value is None else (value,)
            return request.facts.get(key)

        allowed = False
        for statement in self.statements:
            if not (
                statement.names(caller)
                and statement.covers_action(request.action)
                and statement.covers_resource(resource)
                and all(condition.holds(lookup) for condition in statement.conditions)
            ):
                continue
            if statement.effect is Verdict.DENY:
                return Verdict.DENY
            allowed = True
        return Verdict.ALLOW if allowed else Verdict.NONE

    def might_deny(self, actions: tuple[str, ...], caller: frozenset[str]) -> bool:
        """Whether a Deny naming the caller could apply to any of ``actions`` on anything
        in the bucket, whatever the request's facts: the answer for a request that did not
        say what it does."""
        return any(
            statement.effect is Verdict.DENY
            and statement.names(caller)
            and any(statement.covers_action(action) for action in actions)
            for statement in self.statements
        )

    def names(self, caller: frozenset[str]) -> bool:
        """Whether some Allow names the caller: then the bucket exists for them, and what
        the policy does not grant is refused (403) rather than hidden (404)."""
        return any(s.effect is Verdict.ALLOW and s.names(caller) for s in self.statements)

    @property
    def is_public(self) -> bool:
        """Whether an Allow names everyone without a condition tying it to callers or
        networks (S3's ``PolicyStatus/IsPublic``)."""
        return any(
            statement.effect is Verdict.ALLOW
            and statement.names(frozenset())
            and not any(c.key in _NARROWING for c in statement.conditions)
            for statement in self.statements
        )


def s3_bucket_name(namespace: str, name: str) -> str:
    """The S3 name of the bucket ``namespace/name``, the name a policy's resources use."""
    return f"{namespace}{S3_BUCKET_SEPARATOR}{name}"


def check_policy(text: str, bucket: str) -> BucketPolicy:
    """The policy ``text`` sets on the bucket whose S3 name is ``bucket``;
    ``MalformedPolicyError`` with the reason when S3 would refuse it."""
    policy = read_policy(text)
    for statement in policy.statements:
        for pattern in statement.resources:
            if not statement.not_resource and not _reaches(pattern, bucket):
                raise MalformedPolicyError(
                    f"Policy has invalid resource: {ARN_PREFIX}{pattern[:128]} is not in"
                    f" bucket {bucket}"
                )
        _check_applies(statement, bucket)
    return policy


def stored_policy(document: Mapping[str, object]) -> BucketPolicy:
    """The policy a bucket keeps (its configuration :data:`POLICY`). One this server cannot
    read (set under other rules, or damaged) denies everything to everyone, so it fails
    closed until the owner, who may still replace or remove it, sets it again."""
    try:
        return read_policy(str(document.get("text", "")))
    except MalformedPolicyError:
        return _UNREADABLE


@lru_cache(maxsize=128)
def read_policy(text: str) -> BucketPolicy:
    """The policy in ``text`` (a stored one is read once per process while it is in use);
    ``MalformedPolicyError`` as :func:`check_policy` raises it, short of the bucket check."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise MalformedPolicyError(f"Policies must be at most {MAX_BYTES} bytes")
    try:
        document = json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
    except RecursionError:
        raise MalformedPolicyError("Policies may not nest this deep") from None
    except ValueError as exc:
        raise MalformedPolicyError(f"This policy contains invalid Json: {exc}"[:200]) from None
    if not isinstance(document, dict):
        raise MalformedPolicyError("A policy is a JSON object")
    for name in document:
        if name not in _TOP:
            raise MalformedPolicyError(f"Unknown field {name[:64]}")
    version = document.get("Version", VERSIONS[1])
    if version not in VERSIONS:
        raise MalformedPolicyError(f"Version must be one of {', '.join(VERSIONS)}")
    if "Id" in document and not isinstance(document["Id"], str):
        raise MalformedPolicyError("Id must be a string")
    if "Statement" not in document:
        raise MalformedPolicyError("Missing required field Statement")
    raw = document["Statement"]
    raws = raw if isinstance(raw, list) else [raw]
    if not raws:
        raise MalformedPolicyError("Statement must hold at least one statement")
    sids: set[str] = set()
    statements = []
    for item in raws:
        if not isinstance(item, dict):
            raise MalformedPolicyError("Each Statement is a JSON object")
        sid = item.get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise MalformedPolicyError("Sid must be a string")
        if sid:
            if sid in sids:
                raise MalformedPolicyError(f"Statement IDs (SID) must be unique: {sid[:64]}")
            sids.add(sid)
        statements.append(_statement(item))
    return BucketPolicy(tuple(statements))


_UNREADABLE = BucketPolicy(
    (Statement(Verdict.DENY, frozenset({EVERYONE}), False, ("*",), False, ("*",), False),)
)


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document: dict[str, object] = {}
    for name, value in pairs:
        if name in document:
            raise MalformedPolicyError(f"Field {name[:64]} is given twice")
        document[name] = value
    return document


def _no_constant(name: str) -> object:
    raise MalformedPolicyError(f"This policy contains invalid Json: {name}")


def _statement(item: dict[str, object]) -> Statement:
    for name in item:
        if name not in _FIELDS:
            raise MalformedPolicyError(f"Unknown field {name[:64]}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        if effect is None:
            raise MalformedPolicyError("Missing required field Effect")
        raise MalformedPolicyError(f"Invalid effect: {str(effect)[:64]} (Allow or Deny)")
    principal, not_principal = _one_of(item, "Principal")
    actions, not_action = _one_of(item, "Action")
    resources, not_resource = _one_of(item, "Resource")
    return Statement(
        effect=Verdict.ALLOW if effect == "Allow" else Verdict.DENY,
        principals=_principals(principal),
        not_principal=not_principal,
        actions=tuple(_action(a) for a in _strings(actions, "Action")),
        not_action=not_action,
        resources=tuple(_resource(r) for r in _strings(resources, "Resource")),
        not_resource=not_resource,
        conditions=parse_conditions(item["Condition"]) if "Condition" in item else (),
    )


def _one_of(item: dict[str, object], name: str) -> tuple[object, bool]:
    given = [n for n in (name, f"Not{name}") if n in item]
    if not given:
        raise MalformedPolicyError(f"Missing required field {name}")
    if len(given) > 1:
        raise MalformedPolicyError(f"A statement has {name} or Not{name}, not both")
    return item[given[0]], given[0] != name


def _strings(value: object, name: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise MalformedPolicyError(f"{name} must be a non-empty string or list of strings")
    return [str(v) for v in values]


def _principals(value: object) -> frozenset[str]:
    if value == EVERYONE:
        return frozenset({EVERYONE})
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyError('Invalid principal in policy: use "*" or {"AWS": ...}')
    found: set[str] = set()
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicyError(f"Invalid principal in policy: {kind[:64]}")
        for name in _strings(names, "Principal"):
            if kind in ("Service", "Federated"):
                found.add(f"{kind}:{name}")  # never a caller's ID
            elif name == EVERYONE and kind == "AWS":
                found.add(EVERYONE)
            else:
                found.add(_account(name))
    return frozenset(found)


def _account(name: str) -> str:
    """A user's ID from ``<id>`` or ``arn:aws:iam::<id>:root``."""
    if not name.startswith("arn:"):
        if "*" in name or len(name) > 128:
            raise MalformedPolicyError(f"Invalid principal in policy: {name[:64]}")
        return name
    parts = name.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or parts[5] != "root":
        raise MalformedPolicyError(
            f"Invalid principal in policy: {name[:64]} (use arn:aws:iam::<id>:root)"
        )
    if not parts[4]:
        raise MalformedPolicyError(f"Invalid principal in policy: {name[:64]}")
    return parts[4]


def _action(name: str) -> str:
    lowered = name.lower()
    if lowered == "*":
        return lowered
    if not lowered.startswith("s3:"):
        raise MalformedPolicyError(f"Policy has invalid action: {name[:64]}")
    if not any(glob_match(lowered, known) for known in ACTIONS):
        raise MalformedPolicyError(f"Policy has invalid action: {name[:64]}")
    return lowered


def _resource(name: str) -> str:
    if name == "*":
        return name
    if not name.startswith(ARN_PREFIX) or name == ARN_PREFIX:
        raise MalformedPolicyError(
            f"Policy has invalid resource: {name[:64]} (use {ARN_PREFIX}<bucket>[/<key>])"
        )
    return name[len(ARN_PREFIX) :]


def _literal_head(pattern: str) -> str:
    cut = min((i for i, c in enumerate(pattern) if c in "*?"), default=len(pattern))
    return pattern[:cut]


def _reaches(pattern: str, bucket: str) -> bool:
    """Whether the resource ``pattern`` can name the bucket or something in it."""
    head = _literal_head(pattern)
    if head == pattern:
        return pattern == bucket or pattern.startswith(bucket + "/")
    return head.startswith(bucket + "/") or (bucket + "/").startswith(head)


def _kinds(statement: Statement, bucket: str) -> set[str]:
    kinds = set()
    for pattern in statement.resources:
        if glob_match(pattern, bucket):
            kinds.add(BUCKET)
        if "/" in pattern or "*" in pattern:
            kinds.add(OBJECT)
    return kinds


def _check_applies(statement: Statement, bucket: str) -> None:
    if statement.not_action or statement.not_resource:
        return
    kinds = _kinds(statement, bucket)
    for pattern in statement.actions:
        applies = [kind for action, kind in ACTIONS.items() if glob_match(pattern, action)]
        if "*" not in pattern and "?" not in pattern and resource_kind(pattern) not in kinds:
            raise MalformedPolicyError(
                f"Action does not apply to any resource(s) in statement: {pattern}"
            )
        if applies and not any(kind in kinds for kind in applies):
            raise MalformedPolicyError(
                f"Action does not apply to any resource(s) in statement: {pattern}"
            )
