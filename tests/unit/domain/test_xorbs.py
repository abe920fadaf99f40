"""Xorbs: stored for their uploader, found by name only by them, never stored unverified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.domain.identity import Identity, identity

from weighthouse.domain.errors import (
    BlobUnknownError,
    InvalidInputError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import RepoId, RepoType

pytestmark = pytest.mark.unit

REPO = RepoId(RepoType.MODEL, "alice", "m")
NAME = "1" * 64


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def test_a_xorb_is_found_by_its_uploader_only(world: Identity) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    world.container.repos.create(alice, REPO, private=False)
    xorbs = world.container.xorbs
    assert xorbs.store(alice, REPO, NAME, [b"xorb ", b"bytes"]) is True
    assert xorbs.store(alice, REPO, NAME, iter(())) is False  # already there: body unread
    with xorbs.open(alice, NAME) as reader:
        assert reader.read_range(0, 100) == b"xorb bytes"
    with pytest.raises(BlobUnknownError):
        xorbs.open(bob, NAME)
    with pytest.raises(BlobUnknownError):
        xorbs.open(alice, "2" * 64)
    # Bob may read the public repo, not upload for it; but he may for a pull request.
    with pytest.raises(PermissionDeniedError):
        xorbs.store(bob, REPO, "3" * 64, [b"x"])
    assert xorbs.store(bob, REPO, "3" * 64, [b"x"], for_pull_request=True) is True
    with xorbs.open(bob, "3" * 64) as reader:
        assert reader.read_range(0, 1) == b"x"
    # After the grace period the name is forgotten.
    world.clock.offset += timedelta(seconds=world.container.settings.gc_grace_seconds + 1)
    with pytest.raises(BlobUnknownError):
        xorbs.open(alice, NAME)


def test_bytes_that_fail_their_check_are_not_recorded(world: Identity) -> None:
    alice = world.user("alice")
    world.container.repos.create(alice, REPO, private=True)

    def failing() -> Iterator[bytes]:
        yield b"half"
        raise InvalidInputError("the xorb's content does not match its hash")

    with pytest.raises(InvalidInputError):
        world.container.xorbs.store(alice, REPO, NAME, failing())
    with pytest.raises(BlobUnknownError):
        world.container.xorbs.open(alice, NAME)
    with pytest.raises(RepoNotFoundError):
        world.container.xorbs.authorize(world.user("carol"), REPO)
