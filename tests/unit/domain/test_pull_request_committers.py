"""Who may commit to a pull request's branch, asked before the commit's bytes are uploaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.domain.identity import Identity, identity

from weighthouse.domain.discussions_model import DiscussionStatus
from weighthouse.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from weighthouse.domain.model import RepoId, RepoType

pytestmark = pytest.mark.unit

REPO = RepoId(RepoType.MODEL, "alice", "m")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def test_its_author_and_writers_may_commit_while_it_is_open(world: Identity) -> None:
    alice, bob, carol = world.user("alice"), world.user("bob"), world.user("carol")
    world.container.repos.create(alice, REPO, private=False)
    discussions = world.container.discussions
    pr = discussions.open(bob, REPO, title="Better weights", pull_request=True)
    talk = discussions.open(bob, REPO, title="A question")
    assert discussions.check_committer(bob, REPO, "refs/pr/1").num == pr.num
    assert discussions.check_committer(alice, REPO, "refs/pr/1").num == pr.num
    with pytest.raises(PermissionDeniedError):
        discussions.check_committer(carol, REPO, "refs/pr/1")
    with pytest.raises(InvalidInputError):
        discussions.check_committer(bob, REPO, f"refs/pr/{talk.num}")
    with pytest.raises(NotFoundError):
        discussions.check_committer(bob, REPO, "refs/pr/9")
    with pytest.raises(InvalidInputError):
        discussions.check_committer(bob, REPO, "main")
    discussions.change_status(bob, REPO, pr.num, DiscussionStatus.CLOSED)
    with pytest.raises(InvalidInputError):
        discussions.check_committer(bob, REPO, "refs/pr/1")
