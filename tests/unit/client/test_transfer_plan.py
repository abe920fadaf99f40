"""Planning cp -r, sync and rm -r: what is copied, deleted and left alone."""

from __future__ import annotations

import pytest

from weighthouse.client.transfer_plan import (
    Item,
    needs_digest,
    plan_copy,
    plan_removal,
    plan_sync,
)

pytestmark = pytest.mark.unit

A, B = "a" * 64, "b" * 64


def names(items: tuple[Item, ...]) -> list[str]:
    return [i.name for i in items]


def test_copy_takes_everything_in_utf8_byte_order() -> None:
    plan = plan_copy([Item("z", 1), Item("é", 2), Item("a/b", 3)])
    assert names(plan.copies) == ["a/b", "z", "é"]
    assert plan.copy_bytes == 6 and not plan.deletes and not plan.unchanged


def test_removal_deletes_everything() -> None:
    plan = plan_removal([Item("k2", 1), Item("k1", 1)])
    assert names(plan.deletes) == ["k1", "k2"] and not plan.copies


def test_a_name_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan_copy([Item("k", 1), Item("k", 2)])


def test_sync_copies_missing_and_different_and_keeps_equal_ones() -> None:
    source = [Item("new", 1, A), Item("same", 2, A), Item("edited", 2, A), Item("grown", 3, A)]
    target = [Item("same", 2, A), Item("edited", 2, B), Item("grown", 2, A), Item("extra", 1, A)]
    plan = plan_sync(source, target, delete=False)
    assert names(plan.copies) == ["edited", "grown", "new"]
    assert names(plan.unchanged) == ["same"]
    assert plan.deletes == ()


def test_sync_delete_removes_what_the_source_lacks() -> None:
    plan = plan_sync([Item("keep", 1, A)], [Item("keep", 1, A), Item("gone", 5, B)], delete=True)
    assert names(plan.deletes) == ["gone"] and plan.copies == ()
    assert not plan_sync([Item("keep", 1, A)], [Item("keep", 1, A)], delete=True).deletes


def test_an_unknown_digest_counts_as_changed() -> None:
    plan = plan_sync([Item("k", 1)], [Item("k", 1, A)], delete=False)
    assert names(plan.copies) == ["k"]


def test_only_equal_sizes_need_hashing() -> None:
    source = [
        Item("same-size", 4),
        Item("other-size", 4),
        Item("only-here", 4),
        Item("known", 4, A),
    ]
    target = [Item("same-size", 4, A), Item("other-size", 5, A), Item("known", 4, A)]
    assert needs_digest(source, target) == ["same-size"]


def test_an_empty_plan_says_so() -> None:
    assert plan_sync([], [], delete=True).is_empty
    assert not plan_copy([Item("k", 0)]).is_empty
