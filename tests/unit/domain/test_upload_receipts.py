"""Upload receipts: bound to the user and the repo of the upload, signed, and short-lived."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.domain.identity import PASSWORD, Identity, identity

from weighthouse.domain.errors import AuthenticationError, InvalidInputError
from weighthouse.domain.model import BlobDigest, RepoId, RepoType

pytestmark = pytest.mark.unit

DIGEST = BlobDigest(sha256="a" * 64, size=10, md5="b" * 32)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def test_a_receipt_names_the_upload_for_its_user_and_repo_only(world: Identity) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    repos, receipts = world.container.repos, world.container.upload_receipts
    mine = repos.create(alice, RepoId(RepoType.MODEL, "alice", "m"))
    other = repos.create(alice, RepoId(RepoType.MODEL, "alice", "other"))
    receipt = receipts.issue(alice, mine, DIGEST, "weights.bin")
    redeemed = receipts.redeem(alice, mine, receipt)
    assert (redeemed.sha256, redeemed.size, redeemed.filename) == ("a" * 64, 10, "weights.bin")
    for principal, repo, presented in (
        (bob, mine, receipt),
        (alice, other, receipt),
        (alice, mine, receipt[:-2] + "xx"),
        (alice, mine, "/etc/passwd"),
        (alice, mine, ""),
        # A session token is signed by the same keys, but is no receipt.
        (alice, mine, world.container.sessions.sign_in("alice", PASSWORD).token),
    ):
        with pytest.raises(InvalidInputError):
            receipts.redeem(principal, repo, presented)


def test_a_receipt_ends_with_the_grace_period(world: Identity) -> None:
    alice = world.user("alice")
    repo = world.container.repos.create(alice, RepoId(RepoType.MODEL, "alice", "m"))
    receipts = world.container.upload_receipts
    receipt = receipts.issue(alice, repo, DIGEST, "w")
    world.clock.offset += timedelta(seconds=world.container.settings.gc_grace_seconds)
    with pytest.raises(InvalidInputError):
        receipts.redeem(alice, repo, receipt)


def test_anonymous_callers_get_no_receipt(world: Identity) -> None:
    alice = world.user("alice")
    repo = world.container.repos.create(alice, RepoId(RepoType.MODEL, "alice", "m"))
    anonymous = world.container.authenticator.authenticate(None)
    with pytest.raises(AuthenticationError):
        world.container.upload_receipts.issue(anonymous, repo, DIGEST, "w")
