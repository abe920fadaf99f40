from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.domain.model import Ref, RefKind
from weighthouse.domain.versions import latest_version, version_key

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def tag(name: str, minutes: int = 0) -> Ref:
    return Ref(RefKind.TAG, name, name.ljust(40, "0")[:40], T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("9", "10"),
        ("v1.9", "v1.10"),
        ("1.0-rc.1", "1.0"),
        ("1.0-rc.2", "1.0-rc.10"),
        ("1.0-alpha", "1.0-beta"),
        ("1.0-1", "1.0-alpha"),
        ("2", "v2.0.1"),
    ],
)
def test_semantic_order(low: str, high: str) -> None:
    assert version_key(low) < version_key(high)  # type: ignore[operator]


def test_non_versions_are_ignored() -> None:
    assert version_key("stable") is None
    refs = [tag("stable"), tag("9"), tag("10"), Ref(RefKind.BRANCH, "99", "f" * 40, T0)]
    latest = latest_version(refs)
    assert latest is not None and latest.name == "10"


def test_no_version_tags_means_none() -> None:
    assert latest_version([tag("stable")]) is None


def test_equal_versions_break_ties_by_creation_time() -> None:
    latest = latest_version([tag("1.0", minutes=5), tag("v1.0", minutes=1)])
    assert latest is not None and latest.name == "1.0"
