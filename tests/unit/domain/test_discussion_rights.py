"""What a thread's details say the caller may do, which the web page's buttons follow; the
use case still decides each action."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.discussions import Discussions
from weighthouse.domain.errors import PermissionDeniedError
from weighthouse.domain.model import RepoId, RepoType, Role, Scope

pytestmark = pytest.mark.unit

WEIGHTS = RepoId(RepoType.MODEL, "alice", "weights")


def rights(discussions: Discussions, principal: Principal, num: int) -> tuple[bool, bool]:
    details = discussions.get(principal, WEIGHTS, num)
    return details.may_merge, details.may_change


def test_only_writers_may_merge_and_authors_or_writers_change(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    discussions = Discussions(hub.catalog, hub.commits, hub.clock)
    hub.repos.create(alice, WEIGHTS, private=False)
    carol = hub.user("carol")
    hub.orgs.set_collaborator(alice, WEIGHTS, "carol", Role.WRITE)
    by_bob = discussions.open(bob, WEIGHTS, title="From a reader", pull_request=True).num
    read_only_bob = Principal(user=bob.user, scope=Scope.READ)

    assert rights(discussions, alice, by_bob) == (True, True)  # owner
    assert rights(discussions, carol, by_bob) == (True, True)  # writer by collaboration
    assert rights(discussions, bob, by_bob) == (False, True)  # its author, a reader
    assert rights(discussions, read_only_bob, by_bob) == (False, False)
    assert rights(discussions, ANONYMOUS, by_bob) == (False, False)
    assert rights(discussions, hub.user("dave"), by_bob) == (False, False)

    # What the details say is what the use case allows.
    with pytest.raises(PermissionDeniedError):
        discussions.merge(bob, WEIGHTS, by_bob)
