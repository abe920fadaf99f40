from __future__ import annotations

import pytest

from weighthouse.client.models import EntryInfo
from weighthouse.client.patterns import PathFilter
from weighthouse.client.push_plan import plan_push
from weighthouse.domain.commits import AddFile, DeleteFile

pytestmark = pytest.mark.unit

A = "a" * 64
B = "b" * 64


def entry(path: str, sha256: str, size: int) -> EntryInfo:
    return EntryInfo(path=path, type="file", size=size, sha256=sha256)


REMOTE = [
    EntryInfo(path="sub", type="directory"),
    entry("same.bin", A, 10),
    entry("edited.bin", A, 10),
    entry("resized.bin", A, 11),
    entry("sub/gone.txt", B, 3),
    entry("logs/old.log", B, 3),
    entry("other/kept.txt", B, 3),
]
LOCAL = [
    AddFile("same.bin", A, 10),
    AddFile("edited.bin", B, 10),
    AddFile("resized.bin", A, 12),
    AddFile("new.txt", B, 3),
]


def test_only_differences_are_planned() -> None:
    plan = plan_push(LOCAL, REMOTE)
    assert plan.unchanged == ("same.bin",)
    assert [op.path for op in plan.changed] == ["edited.bin", "resized.bin"]
    assert [op.path for op in plan.added] == ["new.txt"]
    assert plan.deleted == () and not plan.is_empty


def test_an_identical_folder_plans_nothing() -> None:
    plan = plan_push([AddFile("same.bin", A, 10)], REMOTE)
    assert plan.is_empty and plan.unchanged == ("same.bin",)


def test_delete_removes_what_the_folder_lacks_except_excluded_paths() -> None:
    plan = plan_push(LOCAL, REMOTE, delete_under="", selected=PathFilter.of(exclude=["logs/"]))
    assert plan.deleted == (DeleteFile("other/kept.txt"), DeleteFile("sub/gone.txt"))


def test_delete_stays_under_its_folder_and_matches_relative_paths() -> None:
    local = [AddFile("sub/new.txt", A, 1)]
    plan = plan_push(local, REMOTE, delete_under="sub/")
    assert plan.deleted == (DeleteFile("sub/gone.txt"),)
    keep = plan_push(local, REMOTE, delete_under="sub", selected=PathFilter.of(exclude=["gone*"]))
    assert keep.deleted == ()


def test_without_delete_nothing_is_deleted() -> None:
    assert plan_push([], REMOTE).is_empty
