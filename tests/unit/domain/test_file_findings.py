"""Findings shown with a revision: read afresh each time, through a caller's right to read."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.file_findings import UNSAFE_PICKLE, Findings
from weighthouse.domain.findings_catalog import Finding
from weighthouse.domain.model import RepoId, RepoType

pytestmark = pytest.mark.unit

WEIGHTS = RepoId(RepoType.MODEL, "alice", "weights")


def test_findings_that_arrive_later_show_and_a_lost_right_hides_them(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, WEIGHTS, private=True)
    digest = hub.commits.upload_blob(alice, WEIGHTS, [b"pickled"], size=7)
    ops = [AddFile(f"shard-{i}.bin", digest.sha256, digest.size) for i in range(3)]
    commit = hub.commits.commit(alice, WEIGHTS, "main", ops, message="weights")
    findings = Findings(hub.catalog, hub.files)

    before = findings.at(alice, WEIGHTS, "main")
    assert (before.commit, before.files, before.labels) == (commit.id, (), ())
    # The scan ends after the commit's files were first listed: the next read shows it.
    hub.catalog.put_findings(
        [Finding(digest.sha256, "scan", {"verdict": "dangerous", "flagged": ["os.system"]})]
    )
    after = findings.at(alice, WEIGHTS, commit.id)
    assert [f.path for f in after.files] == ["shard-0.bin", "shard-1.bin", "shard-2.bin"]
    assert after.labels == (UNSAFE_PICKLE,)
    assert [f.path for f in findings.at(alice, WEIGHTS, "main", ["shard-1.bin"]).files] == [
        "shard-1.bin"
    ]
    # The file list of the commit is remembered; the caller's right to read is not.
    with pytest.raises(RepoNotFoundError):
        findings.at(bob, WEIGHTS, commit.id)


def test_the_remembered_file_lists_stay_within_their_budget(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, WEIGHTS)
    digest = hub.commits.upload_blob(alice, WEIGHTS, [b"w"], size=1)
    findings = Findings(hub.catalog, hub.files, remembered_paths=4)
    for index in range(5):
        hub.clock.advance()
        op = AddFile(f"f{index}.bin", digest.sha256, digest.size)
        made = hub.commits.commit(alice, WEIGHTS, "main", [op], message=f"c{index}")
        assert findings.at(alice, WEIGHTS, "main").commit == made.id
    held = findings._commit_files  # the bound is the contract under test
    # Commits of 1 to 5 files: only the newest that fit in 4 paths stay (the 5-file one never).
    assert held._held <= 4 and held.get((WEIGHTS, made.id)) is None
