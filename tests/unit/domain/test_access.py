"""The permission service's decisions, on memberships and collaborations held in the memory
catalog: who gets which role on which repo, and what a refusal looks like."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal, repo_role, require_repo
from weighthouse.domain.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import Repo, RepoId, RepoType, Role, Scope

pytestmark = pytest.mark.unit


@pytest.fixture
def acme(hub: Hub, alice: Principal, bob: Principal) -> dict[str, Repo]:
    """alice runs the organisation acme, where bob reads; carol collaborates on one repo."""
    hub.orgs.create(alice, "acme")
    hub.orgs.set_member(alice, "acme", "bob", Role.READ)
    hub.user("carol")
    repos = {
        name: hub.repos.create(alice, RepoId(RepoType.MODEL, "acme", name), private=private)
        for name, private in [("internal", True), ("shared", True), ("open", False)]
    }
    hub.orgs.set_collaborator(alice, RepoId(RepoType.MODEL, "acme", "shared"), "carol", Role.WRITE)
    return repos


def role(hub: Hub, principal: Principal, repo: Repo) -> Role | None:
    return repo_role(hub.catalog, principal, repo)


def test_roles_come_from_namespace_membership_collaboration_and_publicity(
    hub: Hub, alice: Principal, bob: Principal, acme: dict[str, Repo]
) -> None:
    carol = Principal(user=hub.catalog.get_user("carol"), scope=Scope.WRITE)
    stranger = hub.user("dave")
    expected = {
        "internal": (Role.ADMIN, Role.READ, None, None, None),
        "shared": (Role.ADMIN, Role.READ, Role.WRITE, None, None),
        "open": (Role.ADMIN, Role.READ, Role.READ, Role.READ, Role.READ),
    }
    for name, roles in expected.items():
        callers = (alice, bob, carol, stranger, ANONYMOUS)
        assert tuple(role(hub, c, acme[name]) for c in callers) == roles, name
    own = hub.repos.create(stranger, RepoId(RepoType.MODEL, "dave", "mine"), private=True)
    assert role(hub, stranger, own) is Role.ADMIN


def test_a_credential_narrows_the_role(hub: Hub, alice: Principal, acme: dict[str, Repo]) -> None:
    assert alice.user is not None
    read_only = Principal(user=alice.user, scope=Scope.READ)
    assert role(hub, read_only, acme["internal"]) is Role.READ
    elsewhere = replace(alice, restrict_to=("alice",))
    assert role(hub, elsewhere, acme["internal"]) is None
    assert role(hub, elsewhere, acme["open"]) is Role.READ
    one_repo = replace(alice, restrict_to=("acme/shared",))
    assert role(hub, one_repo, acme["shared"]) is Role.ADMIN
    assert role(hub, one_repo, acme["internal"]) is None


def test_site_admins_need_an_admin_scoped_credential(hub: Hub, acme: dict[str, Repo]) -> None:
    admin = hub.user("root", is_admin=True, scope=Scope.ADMIN)
    assert role(hub, admin, acme["internal"]) is Role.ADMIN
    assert role(hub, replace(admin, scope=Scope.WRITE), acme["internal"]) is None


def test_refusals_hide_private_repos_and_tell_who_must_sign_in(
    hub: Hub, bob: Principal, acme: dict[str, Repo]
) -> None:
    stranger = hub.user("dave")
    with pytest.raises(RepoNotFoundError):
        require_repo(hub.catalog, stranger, acme["internal"], Role.READ)
    with pytest.raises(RepoNotFoundError):
        require_repo(hub.catalog, ANONYMOUS, acme["internal"], Role.READ)
    with pytest.raises(AuthenticationError):
        require_repo(hub.catalog, ANONYMOUS, acme["open"], Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        require_repo(hub.catalog, bob, acme["internal"], Role.WRITE)
    assert require_repo(hub.catalog, bob, acme["internal"], Role.READ) is Role.READ


def test_removing_a_member_or_collaborator_ends_access_at_the_next_check(
    hub: Hub, alice: Principal, bob: Principal, acme: dict[str, Repo]
) -> None:
    carol = Principal(user=hub.catalog.get_user("carol"), scope=Scope.WRITE)
    hub.orgs.remove_member(alice, "acme", "bob")
    assert role(hub, bob, acme["internal"]) is None
    hub.orgs.remove_collaborator(alice, RepoId(RepoType.MODEL, "acme", "shared"), "carol")
    assert role(hub, carol, acme["shared"]) is None
    with pytest.raises(RepoNotFoundError):
        hub.repos.get(carol, RepoId(RepoType.MODEL, "acme", "shared"))


def test_an_org_keeps_at_least_one_admin(hub: Hub, alice: Principal, acme: dict[str, Repo]) -> None:
    with pytest.raises(ConflictError, match="no admin left"):
        hub.orgs.remove_member(alice, "acme", "alice")
    hub.orgs.set_member(alice, "acme", "bob", Role.ADMIN)
    hub.orgs.remove_member(alice, "acme", "alice")
    assert role(hub, alice, acme["internal"]) is None
