"""Lifecycle rules: the limits S3 holds a configuration to, which objects a filter selects, when
a rule's days end (rounded up to midnight UTC), which rule expires an object first, and the
stored form of a rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.domain.errors import InvalidLifecycleError, LifecycleRuleConflictError
from weighthouse.domain.lifecycle import (
    NEVER,
    LifecycleFilter,
    LifecycleRule,
    after_days,
    check_rules,
    configured_rules,
    current_expiration,
    new_rule_id,
    rule_document,
    rule_from,
    upload_abort,
)

pytestmark = pytest.mark.unit

EVERYTHING = LifecycleFilter()
RULE = LifecycleRule(id="r", enabled=True, filter=EVERYTHING, expiration_days=1)


def test_days_end_at_the_midnight_after_them() -> None:
    # S3's own example: written 10:30 on 15 January, 3 days: gone from 00:00 on 19 January.
    written = datetime(2014, 1, 15, 10, 30, tzinfo=UTC)
    assert after_days(written, 3) == datetime(2014, 1, 19, tzinfo=UTC)
    assert after_days(datetime(2014, 1, 15, tzinfo=UTC), 1) == datetime(2014, 1, 17, tzinfo=UTC)
    # Counted in UTC whatever the zone of the time given.
    late = datetime(2014, 1, 15, 23, 30, tzinfo=UTC).astimezone(tzinfo_plus_two())
    assert after_days(late, 1) == datetime(2014, 1, 17, tzinfo=UTC)
    assert after_days(written, 10**17) == NEVER


def tzinfo_plus_two() -> object:
    from datetime import timezone

    return timezone(timedelta(hours=2))


def test_a_configuration_holds_one_to_a_thousand_rules_with_unique_short_ids() -> None:
    assert check_rules([RULE]) == (RULE,)
    many = [replace(RULE, id=f"r{n}") for n in range(1000)]
    assert len(check_rules(many)) == 1000
    with pytest.raises(InvalidLifecycleError):
        check_rules([])
    with pytest.raises(InvalidLifecycleError):
        check_rules([*many, replace(RULE, id="one more")])
    with pytest.raises(InvalidLifecycleError, match="unique"):
        check_rules([RULE, replace(RULE, expiration_days=2)])
    assert check_rules([replace(RULE, id="a" * 255)])
    with pytest.raises(InvalidLifecycleError, match="255"):
        check_rules([replace(RULE, id="a" * 256)])


@pytest.mark.parametrize(
    "fields",
    [
        {"expiration_days": 0},
        {"expiration_days": -1},
        {"expiration_days": None, "expiration_date": datetime(2030, 1, 1, 1, tzinfo=UTC)},
        {"expiration_days": None, "noncurrent_days": 0},
        {"expiration_days": None, "noncurrent_days": 1, "newer_noncurrent_versions": 0},
        {"expiration_days": None, "noncurrent_days": 1, "newer_noncurrent_versions": 101},
        {"expiration_days": None, "abort_days": 0},
        {"filter": LifecycleFilter(size_greater_than=-1)},
    ],
)
def test_values_s3_refuses_are_invalid_arguments(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidLifecycleError) as raised:
        check_rules([replace(RULE, **fields)])  # type: ignore[arg-type]
    assert type(raised.value) is InvalidLifecycleError


@pytest.mark.parametrize(
    "fields",
    [
        {"expiration_days": None},
        {"expiration_days": None, "abort_days": 1, "filter": LifecycleFilter(tags=(("a", "b"),))},
        {"expiration_days": None, "abort_days": 1, "filter": LifecycleFilter(size_less_than=9)},
        {
            "expiration_days": None,
            "expired_object_delete_marker": True,
            "filter": LifecycleFilter(tags=(("a", "b"),)),
        },
        {"filter": LifecycleFilter(size_greater_than=10, size_less_than=10)},
        {"filter": LifecycleFilter(tags=(("a", "1"), ("a", "2")), conjunction=True)},
        {"expiration_days": None, "noncurrent_days": None, "newer_noncurrent_versions": 3},
    ],
)
def test_rules_whose_parts_do_not_go_together_are_invalid_requests(
    fields: dict[str, object],
) -> None:
    with pytest.raises(LifecycleRuleConflictError):
        check_rules([replace(RULE, **fields)])  # type: ignore[arg-type]


def test_every_action_alone_makes_a_rule() -> None:
    for fields in (
        {"expiration_days": 3},
        {"expiration_date": datetime(2030, 1, 1, tzinfo=UTC)},
        {"expired_object_delete_marker": True},
        {"expired_object_delete_marker": False},
        {"noncurrent_days": 2, "newer_noncurrent_versions": 5},
        {"abort_days": 7},
    ):
        rule = LifecycleRule(id="x", enabled=True, filter=EVERYTHING, **fields)  # type: ignore[arg-type]
        assert check_rules([rule]) == (rule,)


def test_a_filter_selects_by_prefix_tags_and_exclusive_sizes() -> None:
    selected = LifecycleFilter(
        prefix="logs/", tags=(("team", "ml"),), size_greater_than=10, size_less_than=20
    )
    assert selected.selects("logs/a", 15, {"team": "ml", "other": "x"})
    assert not selected.selects("data/a", 15, {"team": "ml"})
    assert not selected.selects("logs/a", 15, {"team": "ops"})
    assert not selected.selects("logs/a", 15, {})
    assert not selected.selects("logs/a", 10, {"team": "ml"})
    assert not selected.selects("logs/a", 20, {"team": "ml"})
    assert LifecycleFilter().selects("anything", 0, {})
    assert LifecycleFilter(prefix="").selects_key("x")
    assert selected.object_only and not LifecycleFilter(prefix="a").object_only


def test_the_earliest_enabled_rule_selecting_an_object_expires_it() -> None:
    written = datetime(2026, 3, 1, 9, tzinfo=UTC)
    rules = [
        LifecycleRule(id="slow", enabled=True, filter=EVERYTHING, expiration_days=30),
        LifecycleRule(id="off", enabled=False, filter=EVERYTHING, expiration_days=1),
        LifecycleRule(
            id="tagged", enabled=True, filter=LifecycleFilter(tags=(("t", "1"),)), expiration_days=2
        ),
        LifecycleRule(
            id="dated",
            enabled=True,
            filter=LifecycleFilter(prefix="old/"),
            expiration_date=datetime(2026, 3, 2, tzinfo=UTC),
        ),
        LifecycleRule(id="versions", enabled=True, filter=EVERYTHING, noncurrent_days=1),
    ]
    assert current_expiration(rules, "a", 1, {}, written) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        "slow",
    )
    assert current_expiration(rules, "a", 1, {"t": "1"}, written) == (
        datetime(2026, 3, 4, tzinfo=UTC),
        "tagged",
    )
    assert current_expiration(rules, "old/a", 1, {}, written) == (
        datetime(2026, 3, 2, tzinfo=UTC),
        "dated",
    )
    assert current_expiration(rules[1:2] + rules[4:], "a", 1, {}, written) is None


def test_the_earliest_enabled_abort_rule_selecting_a_key_aborts_its_upload() -> None:
    started = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    rules = [
        LifecycleRule(id="week", enabled=True, filter=EVERYTHING, abort_days=7),
        LifecycleRule(id="off", enabled=False, filter=EVERYTHING, abort_days=1),
        LifecycleRule(id="tmp", enabled=True, filter=LifecycleFilter(prefix="tmp/"), abort_days=2),
        LifecycleRule(id="expiry", enabled=True, filter=EVERYTHING, expiration_days=1),
    ]
    assert upload_abort(rules, "a", started) == (datetime(2026, 3, 9, tzinfo=UTC), "week")
    assert upload_abort(rules, "tmp/a", started) == (datetime(2026, 3, 4, tzinfo=UTC), "tmp")
    assert upload_abort(rules[1:2] + rules[3:], "tmp/a", started) is None


def test_a_rule_is_stored_and_read_back_unchanged() -> None:
    rules = [
        LifecycleRule(
            id="full",
            enabled=False,
            filter=LifecycleFilter(
                prefix="ü/",
                tags=(("a", "1"), ("b", "")),
                size_greater_than=1,
                size_less_than=2**40,
                conjunction=True,
            ),
            expiration_date=datetime(2031, 5, 1, tzinfo=UTC),
            noncurrent_days=4,
            newer_noncurrent_versions=2,
        ),
        LifecycleRule(
            id="legacy",
            enabled=True,
            filter=LifecycleFilter(prefix="", legacy=True),
            expired_object_delete_marker=False,
            abort_days=3,
        ),
        RULE,
    ]
    for rule in rules:
        assert rule_from(rule_document(rule)) == rule
    document = {"rules": [rule_document(rule) for rule in rules]}
    assert configured_rules(document) == tuple(rules)
    assert configured_rules(None) is None


def test_rule_ids_made_for_rules_without_one_differ() -> None:
    made = {new_rule_id() for _ in range(50)}
    assert len(made) == 50 and all(len(i) == 48 and i.isalnum() for i in made)
