"""Object lock, as S3 defines it: versions of a bucket's objects that nobody may remove.

A bucket's object lock is enabled once, with versioning ``Enabled``, and never disabled; its
versioning can then not be suspended (so a write never replaces a version). Its configuration
may hold a default retention (a mode and a number of days or years) that every new version
gets unless the write asks for its own.

Each object version may have a **retention** (a mode and a retain-until date) and a **legal
hold** (on or off). While the hold is on, or the retention's date is in the future, the version
cannot be removed, by any front-end, by deleting its bucket or by the garbage collector:

* ``COMPLIANCE``: by nobody; its retention can only be kept or lengthened.
* ``GOVERNANCE``: only by a caller who asks to bypass it and may
  (:func:`~weighthouse.domain.access.may_bypass_governance`); without that its
  retention can only be lengthened, in the same mode.

Deleting a key without a version id still adds a delete marker: the locked version stays.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from weighthouse.domain.errors import (
    IntegrityCheckRequiredError,
    InvalidInputError,
    InvalidRetentionPeriodError,
    ObjectLockedError,
)

MAX_DAYS = 36500
MAX_YEARS = 100
DAYS_PER_YEAR = 365


class LockMode(enum.StrEnum):
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


@dataclass(frozen=True)
class Retention:
    """A version's retention: it is kept in ``mode`` until ``until`` (timezone-aware)."""

    mode: LockMode
    until: datetime

    def active(self, now: datetime) -> bool:
        return self.until > now


@dataclass(frozen=True)
class DefaultRetention:
    """A bucket's default retention: ``days`` or ``years`` (exactly one) from each new version's
    write, in ``mode``."""

    mode: LockMode
    days: int | None = None
    years: int | None = None

    def retention_from(self, at: datetime) -> Retention:
        days = self.days if self.days is not None else DAYS_PER_YEAR * (self.years or 0)
        return Retention(self.mode, at + timedelta(days=days))


@dataclass(frozen=True)
class ObjectLockConfiguration:
    """An enabled object lock, with its default retention if it has one."""

    rule: DefaultRetention | None = None


def check_default_retention(
    mode: LockMode, days: int | None, years: int | None
) -> DefaultRetention:
    """``InvalidInputError`` unless exactly one of ``days`` and ``years`` is given;
    ``InvalidRetentionPeriodError`` when it is not positive or over 100 years."""
    if (days is None) == (years is None):
        raise InvalidInputError("a default retention has either Days or Years")
    if days is not None and not 0 < days <= MAX_DAYS:
        raise InvalidRetentionPeriodError(f"Days must be 1 to {MAX_DAYS}", days=days)
    if years is not None and not 0 < years <= MAX_YEARS:
        raise InvalidRetentionPeriodError(f"Years must be 1 to {MAX_YEARS}", years=years)
    return DefaultRetention(LockMode(mode), days, years)


def check_retention(retention: Retention, now: datetime) -> Retention:
    """A retention a write may ask for: its date in the future (``InvalidInputError``)."""
    if retention.until.tzinfo is None:
        raise InvalidInputError("a retain-until date needs a time zone")
    if not retention.active(now):
        raise InvalidInputError("the retain-until date must be in the future")
    return Retention(retention.mode, retention.until.astimezone(UTC))


def new_version_lock(
    configuration: ObjectLockConfiguration | None, asked: Retention | None, at: datetime
) -> Retention | None:
    """The retention a version written at ``at`` gets: the one its write asked for, else the
    bucket's default one, if any."""
    if asked is not None or configuration is None or configuration.rule is None:
        return asked
    return configuration.rule.retention_from(at)


def require_integrity_check(
    configuration: ObjectLockConfiguration | None,
    retention: Retention | None,
    legal_hold: bool | None,
    what: str,
) -> None:
    """``IntegrityCheckRequiredError`` for bytes written without a digest to check when their
    object gets a lock: a ``retention`` or ``legal_hold`` asked for, or the bucket's default
    retention; ``what`` names the request (``Put Object``, ``Put Part``)."""
    default = configuration is not None and configuration.rule is not None
    if retention is None and legal_hold is None and not default:
        return
    raise IntegrityCheckRequiredError(
        f"Content-MD5 OR x-amz-checksum- HTTP header is required for {what} requests with "
        "Object Lock parameters"
    )


def locked(retention: Retention | None, legal_hold: bool | None, now: datetime) -> bool:
    """Whether a version with that lock is under a legal hold or a retention at ``now``."""
    return bool(legal_hold) or (retention is not None and retention.active(now))


def require_removable(
    retention: Retention | None,
    legal_hold: bool | None,
    now: datetime,
    *,
    bypass_governance: bool,
    key: str = "",
) -> None:
    """``ObjectLockedError`` unless a version with that lock may be removed at ``now``; a
    governance retention yields to ``bypass_governance`` (the caller asked for it and may)."""
    if legal_hold:
        raise ObjectLockedError("the object version is under a legal hold", key=key)
    if retention is None or not retention.active(now):
        return
    if retention.mode is LockMode.GOVERNANCE and bypass_governance:
        return
    raise ObjectLockedError(
        f"the object version is under {retention.mode.value} retention until "
        f"{retention.until.isoformat()}",
        key=key,
    )


def require_retention_change(
    current: Retention | None,
    new: Retention | None,
    now: datetime,
    *,
    bypass_governance: bool,
) -> None:
    """``ObjectLockedError`` unless a version's retention may go from ``current`` to ``new``
    (``None``: removed) at ``now``: an active compliance retention only lengthens, an active
    governance one only lengthens in its mode unless bypassed; an expired one may change."""
    if current is None or not current.active(now):
        return
    kept = new is not None and new.mode is current.mode and new.until >= current.until
    if kept:
        return
    if current.mode is LockMode.GOVERNANCE and bypass_governance:
        return
    raise ObjectLockedError(
        f"the {current.mode.value} retention until {current.until.isoformat()} cannot be "
        "shortened, removed or changed",
    )


def configuration_document(configuration: ObjectLockConfiguration) -> dict[str, Any]:
    """How a catalog stores an enabled object lock (``{}``: without a default retention)."""
    rule = configuration.rule
    if rule is None:
        return {}
    document: dict[str, Any] = {"mode": rule.mode.value}
    if rule.days is not None:
        document["days"] = rule.days
    if rule.years is not None:
        document["years"] = rule.years
    return document


def configuration_from(document: dict[str, Any] | None) -> ObjectLockConfiguration | None:
    if document is None:
        return None
    if "mode" not in document:
        return ObjectLockConfiguration()
    return ObjectLockConfiguration(
        DefaultRetention(LockMode(document["mode"]), document.get("days"), document.get("years"))
    )
