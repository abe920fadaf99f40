"""The rules of object lock, without a catalog: default retentions, which retention changes
are allowed, and when a version may be removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from weighthouse.domain.errors import (
    InvalidInputError,
    InvalidRetentionPeriodError,
    ObjectLockedError,
)
from weighthouse.domain.object_lock import (
    DefaultRetention,
    LockMode,
    ObjectLockConfiguration,
    Retention,
    check_default_retention,
    check_retention,
    configuration_document,
    configuration_from,
    locked,
    new_version_lock,
    require_removable,
    require_retention_change,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
GOV = LockMode.GOVERNANCE
COMP = LockMode.COMPLIANCE


def until(days: float, mode: LockMode = GOV) -> Retention:
    return Retention(mode, NOW + timedelta(days=days))


def test_a_default_retention_has_days_or_years_within_bounds() -> None:
    assert check_default_retention(GOV, 1, None) == DefaultRetention(GOV, days=1)
    assert check_default_retention(COMP, None, 100) == DefaultRetention(COMP, years=100)
    for days, years in ((1, 1), (None, None)):
        with pytest.raises(InvalidInputError):
            check_default_retention(GOV, days, years)
    for days, years in ((0, None), (-1, None), (36501, None), (None, 0), (None, -1), (None, 101)):
        with pytest.raises(InvalidRetentionPeriodError):
            check_default_retention(GOV, days, years)


def test_new_versions_get_the_asked_retention_else_the_default() -> None:
    days = ObjectLockConfiguration(DefaultRetention(GOV, days=3))
    years = ObjectLockConfiguration(DefaultRetention(COMP, years=1))
    assert new_version_lock(days, None, NOW) == until(3)
    assert new_version_lock(years, None, NOW) == until(365, COMP)
    assert new_version_lock(days, until(1, COMP), NOW) == until(1, COMP)
    assert new_version_lock(ObjectLockConfiguration(), None, NOW) is None
    assert new_version_lock(None, until(1), NOW) == until(1)


def test_an_asked_retention_lies_in_the_future_and_is_kept_in_utc() -> None:
    east = timezone(timedelta(hours=5))
    asked = Retention(GOV, datetime(2027, 1, 1, 5, 0, tzinfo=east))
    assert check_retention(asked, NOW) == Retention(GOV, datetime(2027, 1, 1, tzinfo=UTC))
    for bad in (until(0), until(-1), Retention(GOV, datetime(2027, 1, 1))):
        with pytest.raises(InvalidInputError):
            check_retention(bad, NOW)


@pytest.mark.parametrize(
    ("retention", "hold", "bypass", "is_locked", "removable"),
    [
        (None, False, False, False, True),
        (until(-1, COMP), False, False, False, True),  # an ended retention keeps nothing
        (until(1), False, False, True, False),
        (until(1), False, True, True, True),  # a governance retention yields to a bypass
        (until(1, COMP), False, True, True, False),
        (None, True, True, True, False),
        (until(-1), True, True, True, False),
    ],
)
def test_a_version_is_removable_unless_held_or_retained(
    retention: Retention | None, hold: bool, bypass: bool, is_locked: bool, removable: bool
) -> None:
    assert locked(retention, hold, NOW) is is_locked
    if removable:
        require_removable(retention, hold, NOW, bypass_governance=bypass)
        return
    with pytest.raises(ObjectLockedError):
        require_removable(retention, hold, NOW, bypass_governance=bypass, key="k")


@pytest.mark.parametrize(
    ("current", "new", "bypass", "allowed"),
    [
        (None, until(1), False, True),
        (until(-1, COMP), None, False, True),
        (until(1), until(2), False, True),
        (until(1), until(1), False, True),
        (until(2), until(1), False, False),
        (until(2), until(1), True, True),
        (until(1), None, False, False),
        (until(1), None, True, True),
        (until(1), until(2, COMP), False, False),
        (until(1), until(1, COMP), True, True),
        (until(1, COMP), until(2, COMP), False, True),
        (until(2, COMP), until(1, COMP), True, False),
        (until(1, COMP), until(2, GOV), True, False),
        (until(1, COMP), None, True, False),
    ],
)
def test_which_retention_changes_are_allowed(
    current: Retention | None, new: Retention | None, bypass: bool, allowed: bool
) -> None:
    if allowed:
        require_retention_change(current, new, NOW, bypass_governance=bypass)
        return
    with pytest.raises(ObjectLockedError):
        require_retention_change(current, new, NOW, bypass_governance=bypass)


def test_a_configuration_is_stored_as_a_small_document() -> None:
    for configuration in (
        ObjectLockConfiguration(),
        ObjectLockConfiguration(DefaultRetention(GOV, days=7)),
        ObjectLockConfiguration(DefaultRetention(COMP, years=2)),
    ):
        assert configuration_from(configuration_document(configuration)) == configuration
    assert configuration_document(ObjectLockConfiguration()) == {}
    assert configuration_from(None) is None
