"""Upload tickets: signed, scoped to one repo and object, void once the credential ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.domain.identity import Identity, identity

from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.model import RepoId, RepoType, Scope
from weighthouse.domain.upload_tickets import TTL, XET_TTL

pytestmark = pytest.mark.unit

REPO = RepoId(RepoType.MODEL, "alice", "m")
OID = "a" * 64


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def test_a_ticket_names_its_holder_for_one_object(world: Identity) -> None:
    alice = world.user("alice")
    tickets = world.container.upload_tickets
    ticket = tickets.issue(alice, REPO, OID, 10)
    redeemed = tickets.redeem(ticket, REPO, OID, 10)
    assert redeemed.principal.user == alice.user
    assert (redeemed.principal.scope, redeemed.principal.token_id) == (Scope.WRITE, alice.token_id)
    assert (redeemed.repo_id, redeemed.for_pull_request) == (REPO, False)
    for repo, oid, size in (
        (RepoId(RepoType.MODEL, "alice", "other"), OID, 10),
        (RepoId(RepoType.DATASET, "alice", "m"), OID, 10),
        (REPO, "b" * 64, 10),
        (REPO, OID, 11),
    ):
        with pytest.raises(AuthenticationError):
            tickets.redeem(ticket, repo, oid, size)
    with pytest.raises(AuthenticationError):
        tickets.redeem(ticket[:-2] + "xx", REPO, OID, 10)


def test_a_ticket_ends_with_its_time_token_or_user(world: Identity) -> None:
    alice = world.user("alice")
    tickets = world.container.upload_tickets
    ticket = tickets.issue(alice, REPO, OID, 10)
    world.clock.offset += TTL
    with pytest.raises(AuthenticationError):
        tickets.redeem(ticket, REPO, OID, 10)
    world.clock.offset -= TTL
    assert alice.token_id is not None
    world.container.tokens.revoke(world.admin, alice.token_id)
    with pytest.raises(AuthenticationError):
        tickets.redeem(ticket, REPO, OID, 10)


def test_a_session_token_is_no_ticket(world: Identity) -> None:
    world.user("bob")
    issued = world.container.sessions.sign_in("bob", "correct horse battery staple")
    with pytest.raises(AuthenticationError):
        world.container.upload_tickets.redeem(issued.token, REPO, OID, 10)


def test_a_xet_token_names_its_holder_and_repo_until_it_ends(world: Identity) -> None:
    alice = world.user("alice")
    tickets = world.container.upload_tickets
    token, expires = tickets.issue_xet(alice, REPO)
    assert expires == int((world.clock() + XET_TTL).timestamp())
    grant = tickets.redeem_xet(token)
    principal = grant.principal
    assert (principal.user, principal.token_id, grant.repo_id) == (alice.user, alice.token_id, REPO)
    assert grant.for_pull_request is False
    # Neither an upload ticket nor a Xet token passes for the other.
    with pytest.raises(AuthenticationError):
        tickets.redeem(token, REPO, OID, 10)
    with pytest.raises(AuthenticationError):
        tickets.redeem_xet(tickets.issue(alice, REPO, OID, 10))
    with pytest.raises(AuthenticationError):
        tickets.redeem_xet(token[:-2] + "xx")
    world.clock.offset += XET_TTL
    with pytest.raises(AuthenticationError):
        tickets.redeem_xet(token)
    world.clock.offset -= XET_TTL
    assert alice.token_id is not None
    world.container.tokens.revoke(world.admin, alice.token_id)
    with pytest.raises(AuthenticationError):
        tickets.redeem_xet(token)


def test_a_pull_request_upload_stays_one(world: Identity) -> None:
    """What a ticket or token was issued for is what it allows, and nothing in the signed
    text can be edited to turn a pull request's upload into a branch's or back."""
    bob = world.user("bob")
    tickets = world.container.upload_tickets
    ticket = tickets.issue(bob, REPO, OID, 10, for_pull_request=True)
    assert tickets.redeem(ticket, REPO, OID, 10).for_pull_request is True
    token, _ = tickets.issue_xet(bob, REPO, for_pull_request=True)
    assert tickets.redeem_xet(token).for_pull_request is True
    assert tickets.redeem_xet(tickets.issue_xet(bob, REPO)[0]).for_pull_request is False
