"""A bucket's lifecycle configuration, as S3 defines it: the rules, the limits S3 holds them
to, and when a rule's action falls due for an object, a version or a multipart upload.

A rule applies to the keys its filter selects: a key prefix, tags the object must carry (each
with the same value) and bounds on its size in bytes (``ObjectSizeGreaterThan`` and
``ObjectSizeLessThan``, both exclusive). Its actions:

* ``Expiration`` ``Days`` or ``Date``: the key's current object expires; in an unversioned
  bucket it is deleted, in a versioned one a delete marker hides it. ``ExpiredObjectDeleteMarker``
  instead removes a delete marker that is its key's only version.
* ``NoncurrentVersionExpiration``: a version that is no longer its key's latest is removed
  ``NoncurrentDays`` after it became noncurrent (when the next newer version was written),
  except the ``NewerNoncurrentVersions`` newest noncurrent versions of the key.
* ``AbortIncompleteMultipartUpload``: an upload is aborted ``DaysAfterInitiation`` after it
  started.

Days are counted as S3 counts them: from the time the object was written (or became
noncurrent, or the upload started), rounded up to the next midnight UTC, so an object written
at 10:30 on 15 January with ``Days`` 3 expires at 00:00 on 19 January. A delete marker has no
tags and no size: only rules whose filter names neither apply to it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from weighthouse.domain.errors import InvalidLifecycleError, LifecycleRuleConflictError

LIFECYCLE = "lifecycle"
MAX_RULES = 1000
ID_MAX = 255
NEWER_NONCURRENT_MAX = 100
NEVER = datetime.max.replace(tzinfo=UTC)
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class LifecycleFilter:
    """What a rule selects. ``prefix`` is ``None`` when no prefix was given (every key).
    ``legacy`` says the prefix was the rule's own ``<Prefix>`` (the older form) rather than a
    ``<Filter>``, and ``conjunction`` that the filter was written as ``<And>``; both only
    shape how the configuration is read back."""

    prefix: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None
    legacy: bool = False
    conjunction: bool = False

    @property
    def object_only(self) -> bool:
        """Whether the filter asks what only an object has (tags, a size)."""
        return (
            bool(self.tags)
            or self.size_greater_than is not None
            or (self.size_less_than is not None)
        )

    def selects_key(self, key: str) -> bool:
        return key.startswith(self.prefix or "")

    def selects(self, key: str, size: int, tags: Mapping[str, str]) -> bool:
        """Whether an object at ``key`` of ``size`` bytes carrying ``tags`` is selected."""
        if not self.selects_key(key):
            return False
        if any(tags.get(name) != value for name, value in self.tags):
            return False
        if self.size_greater_than is not None and size <= self.size_greater_than:
            return False
        return self.size_less_than is None or size < self.size_less_than


@dataclass(frozen=True)
class LifecycleRule:
    """One ``<Rule>``. ``expiration_date`` is a midnight UTC; ``expired_object_delete_marker``
    is ``None`` when not given (S3 reads it back only when it was)."""

    id: str
    enabled: bool
    filter: LifecycleFilter
    expiration_days: int | None = None
    expiration_date: datetime | None = None
    expired_object_delete_marker: bool | None = None
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    abort_days: int | None = None

    @property
    def expires_current(self) -> bool:
        return self.expiration_days is not None or self.expiration_date is not None

    def current_expiry(self, modified_at: datetime) -> datetime | None:
        """When an object written at ``modified_at`` expires under this rule, if it does."""
        if self.expiration_date is not None:
            return self.expiration_date
        if self.expiration_days is not None:
            return after_days(modified_at, self.expiration_days)
        return None

    def noncurrent_expiry(self, noncurrent_since: datetime) -> datetime | None:
        if self.noncurrent_days is None:
            return None
        return after_days(noncurrent_since, self.noncurrent_days)

    def abort_due(self, started_at: datetime) -> datetime | None:
        if self.abort_days is None:
            return None
        return after_days(started_at, self.abort_days)


def after_days(start: datetime, days: int) -> datetime:
    """The midnight UTC at which ``days`` counted from ``start`` end, as S3 rounds them
    (:data:`NEVER` past the calendar's end)."""
    try:
        day = start.astimezone(UTC).date() + timedelta(days=days + 1)
    except OverflowError:
        return NEVER
    return datetime.combine(day, time(), tzinfo=UTC)


def new_rule_id() -> str:
    """An id for a rule given none, as S3 makes one."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(48))


def check_rules(rules: Sequence[LifecycleRule]) -> tuple[LifecycleRule, ...]:
    """``rules`` as a configuration. ``InvalidLifecycleError`` for a value S3 refuses as an
    invalid argument (an id over 255 characters or used twice, days that are not positive, a
    date not at midnight UTC), ``LifecycleRuleConflictError`` for a rule S3 refuses as an
    invalid request (no action, an action its filter may not go with, empty size bounds)."""
    if not 1 <= len(rules) <= MAX_RULES:
        raise InvalidLifecycleError(f"a lifecycle configuration holds 1 to {MAX_RULES} rules")
    seen: set[str] = set()
    for rule in rules:
        if len(rule.id) > ID_MAX:
            raise InvalidLifecycleError(f"ID length should not exceed allowed limit of {ID_MAX}")
        if rule.id in seen:
            raise InvalidLifecycleError(
                "Rule ID must be unique. Found same ID for more than one rule", rule_id=rule.id
            )
        seen.add(rule.id)
        _check_rule(rule)
    return tuple(rules)


def _check_rule(rule: LifecycleRule) -> None:
    _positive("Days", "Expiration", rule.expiration_days)
    _positive("NoncurrentDays", "NoncurrentVersionExpiration", rule.noncurrent_days)
    _positive("DaysAfterInitiation", "AbortIncompleteMultipartUpload", rule.abort_days)
    date = rule.expiration_date
    if date is not None and (date.utcoffset() != timedelta(0) or date.timetz() != time(tzinfo=UTC)):
        raise InvalidLifecycleError("'Date' must be at midnight GMT")
    newer = rule.newer_noncurrent_versions
    if newer is not None and not 1 <= newer <= NEWER_NONCURRENT_MAX:
        raise InvalidLifecycleError(
            f"'NewerNoncurrentVersions' must be between 1 and {NEWER_NONCURRENT_MAX}"
        )
    if newer is not None and rule.noncurrent_days is None:
        raise LifecycleRuleConflictError(
            "NewerNoncurrentVersions goes with NoncurrentDays in a NoncurrentVersionExpiration"
        )
    selected = rule.filter
    if len({name for name, _ in selected.tags}) != len(selected.tags):
        raise LifecycleRuleConflictError("Duplicate Tag Keys are not allowed.")
    for bound in (selected.size_greater_than, selected.size_less_than):
        if bound is not None and bound < 0:
            raise InvalidLifecycleError("object size bounds cannot be negative")
    low, high = selected.size_greater_than, selected.size_less_than
    if low is not None and high is not None and low >= high:
        raise LifecycleRuleConflictError(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan"
        )
    if not (
        rule.expires_current
        or rule.expired_object_delete_marker is not None
        or rule.noncurrent_days is not None
        or rule.abort_days is not None
    ):
        raise LifecycleRuleConflictError("At least one action needs to be specified in a rule")
    if rule.abort_days is not None and selected.object_only:
        raise LifecycleRuleConflictError(
            "AbortIncompleteMultipartUpload cannot be specified with Tags or object sizes"
        )
    if rule.expired_object_delete_marker and selected.tags:
        raise LifecycleRuleConflictError("ExpiredObjectDeleteMarker cannot be specified with Tags")


def _positive(name: str, action: str, value: int | None) -> None:
    if value is not None and value <= 0:
        raise InvalidLifecycleError(f"'{name}' for {action} action must be a positive integer")


def current_expiration(
    rules: Sequence[LifecycleRule], key: str, size: int, tags: Mapping[str, str], at: datetime
) -> tuple[datetime, str] | None:
    """When the current object at ``key`` (written at ``at``) expires and the id of the rule
    that expires it: the earliest of the enabled rules selecting it; ``None`` when none does."""
    found: tuple[datetime, str] | None = None
    for rule in rules:
        if not rule.enabled or not rule.expires_current:
            continue
        if not rule.filter.selects(key, size, tags):
            continue
        expiry = rule.current_expiry(at)
        if expiry is not None and (found is None or expiry < found[0]):
            found = (expiry, rule.id)
    return found


def upload_abort(
    rules: Sequence[LifecycleRule], key: str, started_at: datetime
) -> tuple[datetime, str] | None:
    """When an incomplete multipart upload of ``key`` begun at ``started_at`` becomes eligible
    for abort and the id of the rule that aborts it: the earliest of the enabled rules with
    ``AbortIncompleteMultipartUpload`` selecting the key; ``None`` when none does."""
    found: tuple[datetime, str] | None = None
    for rule in rules:
        if not rule.enabled or not rule.filter.selects_key(key):
            continue
        due = rule.abort_due(started_at)
        if due is not None and (found is None or due < found[0]):
            found = (due, rule.id)
    return found


def rule_document(rule: LifecycleRule) -> dict[str, object]:
    """A rule as the catalog stores it (JSON)."""
    selected = rule.filter
    return {
        "id": rule.id,
        "enabled": rule.enabled,
        "prefix": selected.prefix,
        "tags": [[name, value] for name, value in selected.tags],
        "size_greater_than": selected.size_greater_than,
        "size_less_than": selected.size_less_than,
        "legacy": selected.legacy,
        "conjunction": selected.conjunction,
        "expiration_days": rule.expiration_days,
        "expiration_date": (
            rule.expiration_date.isoformat() if rule.expiration_date is not None else None
        ),
        "expired_object_delete_marker": rule.expired_object_delete_marker,
        "noncurrent_days": rule.noncurrent_days,
        "newer_noncurrent_versions": rule.newer_noncurrent_versions,
        "abort_days": rule.abort_days,
    }


def rule_from(document: Mapping[str, object]) -> LifecycleRule:
    def number(name: str) -> int | None:
        value = document.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    tags = document.get("tags") or []
    assert isinstance(tags, list)
    prefix = document.get("prefix")
    date = document.get("expiration_date")
    marker = document.get("expired_object_delete_marker")
    return LifecycleRule(
        id=str(document["id"]),
        enabled=bool(document.get("enabled")),
        filter=LifecycleFilter(
            prefix=str(prefix) if prefix is not None else None,
            tags=tuple((str(name), str(value)) for name, value in tags),
            size_greater_than=number("size_greater_than"),
            size_less_than=number("size_less_than"),
            legacy=bool(document.get("legacy")),
            conjunction=bool(document.get("conjunction")),
        ),
        expiration_days=number("expiration_days"),
        expiration_date=datetime.fromisoformat(str(date)) if date is not None else None,
        expired_object_delete_marker=bool(marker) if marker is not None else None,
        noncurrent_days=number("noncurrent_days"),
        newer_noncurrent_versions=number("newer_noncurrent_versions"),
        abort_days=number("abort_days"),
    )


def configured_rules(document: Mapping[str, object] | None) -> tuple[LifecycleRule, ...] | None:
    """The rules of a stored lifecycle configuration, ``None`` for none."""
    if document is None:
        return None
    rules = document["rules"]
    assert isinstance(rules, list)
    return tuple(rule_from(rule) for rule in rules)
