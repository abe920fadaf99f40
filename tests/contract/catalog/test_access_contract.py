"""The Catalog contract for identity and access, on every implementation: passwords, sessions,
restricted tokens, organisations sharing the users' namespace, members, collaborators, the
repos a viewer may list, and the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from tests.contract.catalog.samples import (
    NOW,
    as_member,
    make_event,
    make_org,
    make_repo,
    make_session,
    make_token,
    make_user,
    new_id,
    run_together,
)

from weighthouse.domain.catalog import Catalog, RepoQuery
from weighthouse.domain.errors import (
    OrganizationNotFoundError,
    RepoNotFoundError,
    SessionNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Organization, Repo, Role, User

pytestmark = pytest.mark.contract

HASH = "$argon2id$v=19$m=65536,t=3,p=4$" + "s" * 22 + "$" + "h" * 43


# --- users --------------------------------------------------------------------------------
def test_a_password_hash_round_trips_and_can_be_replaced(catalog: Catalog) -> None:
    user = replace(make_user("alice"), password_hash=HASH)
    catalog.add_user(user)
    assert catalog.get_user("alice") == user
    assert catalog.list_users() == [user]
    longer = "$argon2id$v=19$m=262144,t=4,p=8$" + "x" * 160
    catalog.set_password_hash(user.id, longer)
    assert catalog.get_user_by_id(user.id).password_hash == longer
    with pytest.raises(UserNotFoundError):
        catalog.set_password_hash(new_id(), HASH)


def test_a_user_without_a_password_has_no_hash(catalog: Catalog, user: User) -> None:
    assert catalog.get_user(user.name).password_hash is None


def test_users_are_disabled_and_enabled(catalog: Catalog, user: User) -> None:
    catalog.set_user_disabled(user.id, True)
    assert catalog.get_user(user.name).disabled is True
    catalog.set_user_disabled(user.id, True)  # unchanged, and still found
    catalog.set_user_disabled(user.id, False)
    assert catalog.get_user(user.name) == user
    with pytest.raises(UserNotFoundError):
        catalog.set_user_disabled(new_id(), True)


# --- tokens and sessions ------------------------------------------------------------------
def test_token_restrictions_round_trip(catalog: Catalog, user: User) -> None:
    restricted = make_token(user, "ci", restrict_to=("acme", "alice/weights", "é/x"))
    plain = make_token(user, "laptop")
    catalog.add_token(restricted)
    catalog.add_token(plain)
    assert catalog.get_token(restricted.id) == restricted
    assert catalog.get_token(plain.id).restrict_to == ()
    assert {t.restrict_to for t in catalog.list_tokens(user.id)} == {restricted.restrict_to, ()}


def test_a_session_round_trips_and_revoking_is_idempotent(catalog: Catalog, user: User) -> None:
    session = make_session(user)
    catalog.add_session(session)
    assert catalog.get_session(session.id) == session
    catalog.revoke_session(session.id, NOW + timedelta(minutes=1))
    catalog.revoke_session(session.id, NOW + timedelta(hours=1))  # keeps the first time
    catalog.revoke_session(new_id(), NOW)  # a missing session is ignored
    revoked = catalog.get_session(session.id)
    assert revoked == replace(session, revoked_at=NOW + timedelta(minutes=1))
    assert not revoked.is_active(NOW + timedelta(minutes=2))


def test_missing_sessions_and_their_users_raise_not_found(catalog: Catalog) -> None:
    with pytest.raises(SessionNotFoundError):
        catalog.get_session(new_id())
    with pytest.raises(UserNotFoundError):
        catalog.add_session(make_session(make_user("ghost")))


# --- one namespace for users and organisations --------------------------------------------
def test_an_org_round_trips_with_its_founder_as_member(catalog: Catalog, user: User) -> None:
    org = make_org("acme", "Acme's models ✓")
    catalog.add_org(org, as_member(user))
    assert catalog.get_org("acme") == org
    assert catalog.list_members(org.id) == [as_member(user)]
    assert catalog.member_role("acme", user.id) is Role.ADMIN
    with pytest.raises(OrganizationNotFoundError):
        catalog.get_org("Acme")  # names are case-sensitive


def test_an_org_cannot_take_a_users_name(catalog: Catalog, user: User) -> None:
    with pytest.raises(UserExistsError):
        catalog.add_org(make_org(user.name), as_member(user))
    with pytest.raises(OrganizationNotFoundError):
        catalog.get_org(user.name)
    assert catalog.list_orgs() == []


def test_a_user_cannot_take_an_orgs_name(catalog: Catalog, user: User) -> None:
    catalog.add_org(make_org("acme"), as_member(user))
    with pytest.raises(UserExistsError):
        catalog.add_user(make_user("acme"))
    with pytest.raises(UserExistsError):
        catalog.add_org(make_org("acme"), as_member(user))
    with pytest.raises(UserNotFoundError):
        catalog.get_user("acme")
    for other_case in ("Acme", "ACME"):  # a name is taken in every mix of case
        with pytest.raises(UserExistsError):
            catalog.add_user(make_user(other_case))
        with pytest.raises(UserExistsError):
            catalog.add_org(make_org(other_case), as_member(user))
    catalog.add_user(make_user("acme2"))


def test_an_org_with_a_missing_founder_is_not_created(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_org(make_org("acme"), as_member(make_user("ghost")))
    with pytest.raises(OrganizationNotFoundError):
        catalog.get_org("acme")
    catalog.add_user(make_user("acme"))  # the name was not kept either


def test_a_user_and_an_org_created_at_once_with_one_name_have_one_winner(
    catalog: Catalog, user: User
) -> None:
    def create(index: int) -> str:
        if index % 2:
            catalog.add_org(make_org("taken"), as_member(user))
            return "org"
        catalog.add_user(make_user("taken"))
        return "user"

    results = run_together(6, create)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, UserExistsError) for r in results) == 5, results
    if winners == ["org"]:
        assert catalog.get_org("taken").name == "taken"
        with pytest.raises(UserNotFoundError):
            catalog.get_user("taken")
    else:
        assert catalog.get_user("taken").name == "taken"
        assert catalog.list_orgs() == []


def test_orgs_are_listed_by_name_bytes_or_per_member(catalog: Catalog, user: User) -> None:
    bob = make_user("bob")
    catalog.add_user(bob)
    orgs: dict[str, Organization] = {}
    for name, founder in [("b", user), ("C", bob), ("a-b", user), ("a_b", bob), ("a.b", user)]:
        orgs[name] = make_org(name)
        catalog.add_org(orgs[name], as_member(founder))
    assert [o.name for o in catalog.list_orgs()] == ["C", "a-b", "a.b", "a_b", "b"]
    assert [o.name for o in catalog.list_orgs(user.id)] == ["a-b", "a.b", "b"]
    assert catalog.list_orgs(bob.id) == [orgs["C"], orgs["a_b"]]
    assert catalog.list_orgs(new_id()) == []


# --- members ------------------------------------------------------------------------------
@pytest.fixture
def org(catalog: Catalog, user: User) -> Organization:
    stored = make_org("acme")
    catalog.add_org(stored, as_member(user))
    return stored


def add_users(catalog: Catalog, *names: str) -> list[User]:
    users = [make_user(name) for name in names]
    for added in users:
        catalog.add_user(added)
    return users


def test_members_are_added_changed_and_removed(
    catalog: Catalog, user: User, org: Organization
) -> None:
    bob, carol = add_users(catalog, "bob", "Carol")
    later = NOW + timedelta(days=1)
    catalog.set_member(org.id, as_member(bob, Role.READ, later))
    catalog.set_member(org.id, as_member(carol, Role.WRITE, later))
    assert catalog.member_role("acme", bob.id) is Role.READ
    catalog.set_member(org.id, as_member(bob, Role.WRITE, later + timedelta(days=1)))
    assert catalog.member_role("acme", bob.id) is Role.WRITE
    # By user name bytes; a role change keeps the date the member joined.
    assert catalog.list_members(org.id) == [
        as_member(carol, Role.WRITE, later),
        as_member(user, Role.ADMIN),
        as_member(bob, Role.WRITE, later),
    ]
    assert catalog.remove_member(org.id, bob.id) is True
    assert catalog.remove_member(org.id, bob.id) is False
    assert catalog.member_role("acme", bob.id) is None
    assert [m.user_name for m in catalog.list_members(org.id)] == ["Carol", "alice"]
    assert catalog.list_members(new_id()) == []


def test_member_role_is_none_outside_an_orgs_membership(
    catalog: Catalog, user: User, org: Organization
) -> None:
    (bob,) = add_users(catalog, "bob")
    assert catalog.member_role("acme", bob.id) is None  # not a member
    assert catalog.member_role("alice", user.id) is None  # a user's namespace, not an org
    assert catalog.member_role("nowhere", user.id) is None  # nothing of that name
    assert catalog.member_role("ACME", user.id) is None  # case-sensitive
    assert catalog.member_role("acme", new_id()) is None


def test_memberships_need_an_org_and_a_user(catalog: Catalog, org: Organization) -> None:
    with pytest.raises(OrganizationNotFoundError):
        catalog.set_member(new_id(), as_member(make_user("bob")))
    with pytest.raises(UserNotFoundError):
        catalog.set_member(org.id, as_member(make_user("ghost")))


# --- collaborators ------------------------------------------------------------------------
def test_collaborators_are_added_changed_and_removed(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    bob, carol = add_users(catalog, "bob", "carol")
    catalog.set_collaborator(repo.id, as_member(carol, Role.READ))
    catalog.set_collaborator(repo.id, as_member(bob, Role.READ))
    catalog.set_collaborator(repo.id, as_member(bob, Role.ADMIN, NOW + timedelta(days=1)))
    assert catalog.collaborator_role(repo.id, bob.id) is Role.ADMIN
    assert catalog.collaborator_role(repo.id, user.id) is None
    assert catalog.list_collaborators(repo.id) == [
        as_member(bob, Role.ADMIN),
        as_member(carol, Role.READ),
    ]
    assert catalog.remove_collaborator(repo.id, carol.id) is True
    assert catalog.remove_collaborator(repo.id, carol.id) is False
    assert catalog.collaborator_role(repo.id, carol.id) is None
    assert catalog.list_collaborators(new_id()) == []


def test_collaborators_need_a_repo_and_a_user(catalog: Catalog, repo: Repo) -> None:
    with pytest.raises(RepoNotFoundError):
        catalog.set_collaborator(new_id(), as_member(make_user("bob")))
    with pytest.raises(UserNotFoundError):
        catalog.set_collaborator(repo.id, as_member(make_user("ghost")))


def test_collaborators_go_with_their_repo(catalog: Catalog, user: User, repo: Repo) -> None:
    (bob,) = add_users(catalog, "bob")
    kept = make_repo(user, "alice", "kept")
    catalog.add_repo(kept)
    for each in (repo, kept):
        catalog.set_collaborator(each.id, as_member(bob, Role.WRITE))
    catalog.delete_repo(repo.id)
    assert catalog.list_collaborators(repo.id) == []
    assert catalog.collaborator_role(repo.id, bob.id) is None
    assert catalog.collaborator_role(kept.id, bob.id) is Role.WRITE
    catalog.add_repo(repo)  # a new repo of that id starts with no collaborators
    assert catalog.collaborator_role(repo.id, bob.id) is None


# --- which repos a viewer lists -----------------------------------------------------------
def listed(catalog: Catalog, **query: Any) -> list[str]:
    return [repo.full_name for repo in catalog.list_repos(RepoQuery(**query))]


PUBLIC = ["bob/open"]


@pytest.fixture
def world(catalog: Catalog, user: User) -> dict[str, User]:
    """alice (``user``) is a member of acme, not of globex, and collaborates on bob/shared.

    Which user created a repo does not matter: ``alice/by-bob`` is alice's, ``bob/by-alice``
    is not."""
    bob, carol = add_users(catalog, "bob", "carol")
    catalog.add_org(make_org("acme"), as_member(bob))
    catalog.set_member(catalog.get_org("acme").id, as_member(user, Role.READ))
    catalog.add_org(make_org("globex"), as_member(carol))
    private = {
        "alice/mine": user,
        "alice/by-bob": bob,
        "bob/by-alice": user,
        "bob/secret": bob,
        "bob/shared": bob,
        "acme/internal": bob,
        "globex/internal": carol,
        "carol/diary": carol,
    }
    for full_name, creator in private.items():
        namespace, name = full_name.split("/")
        catalog.add_repo(make_repo(creator, namespace, name, private=True))
    catalog.add_repo(make_repo(bob, "bob", "open"))
    shared = catalog.get_repo(make_repo(bob).type, "bob", "shared")
    catalog.set_collaborator(shared.id, as_member(user, Role.READ))
    return {"alice": user, "bob": bob, "carol": carol}


def test_a_viewer_lists_private_repos_of_their_namespace_orgs_and_collaborations(
    catalog: Catalog, world: dict[str, User]
) -> None:
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    assert listed(catalog, viewer_id=alice.id) == sorted(
        ["acme/internal", "alice/by-bob", "alice/mine", "bob/shared", *PUBLIC]
    )
    assert listed(catalog, viewer_id=bob.id) == sorted(
        ["acme/internal", "bob/by-alice", "bob/secret", "bob/shared", *PUBLIC]
    )
    assert listed(catalog, viewer_id=carol.id) == sorted(
        ["carol/diary", "globex/internal", *PUBLIC]
    )
    assert listed(catalog) == PUBLIC
    assert listed(catalog, viewer_id=new_id()) == PUBLIC
    assert len(listed(catalog, see_all=True)) == 9
    assert listed(catalog, viewer_id=alice.id, namespace="bob") == ["bob/open", "bob/shared"]


def test_leaving_an_org_hides_its_private_repos_at_once(
    catalog: Catalog, world: dict[str, User]
) -> None:
    alice = world["alice"]
    catalog.remove_member(catalog.get_org("acme").id, alice.id)
    assert "acme/internal" not in listed(catalog, viewer_id=alice.id)
    shared = catalog.list_repos(RepoQuery(namespace="bob", search="shared", see_all=True))[0]
    catalog.remove_collaborator(shared.id, alice.id)
    assert listed(catalog, viewer_id=alice.id) == sorted(["alice/by-bob", "alice/mine", *PUBLIC])


def test_a_restricted_viewer_lists_private_repos_only_within_its_entries(
    catalog: Catalog, world: dict[str, User]
) -> None:
    alice = world["alice"]
    by_org = listed(catalog, viewer_id=alice.id, restrict_to=("acme",))
    assert by_org == ["acme/internal", *PUBLIC]
    by_repo = listed(catalog, viewer_id=alice.id, restrict_to=("bob/shared", "alice/mine"))
    assert by_repo == ["alice/mine", *PUBLIC, "bob/shared"]
    # Entries grant nothing by themselves, and match whole names only.
    assert listed(catalog, viewer_id=alice.id, restrict_to=("globex", "bob/secret")) == PUBLIC
    assert listed(catalog, viewer_id=alice.id, restrict_to=("acm", "alice/mi", "bob")) == [
        *PUBLIC,
        "bob/shared",
    ]
    assert listed(catalog, see_all=True, restrict_to=("globex", "carol/diary")) == [
        *PUBLIC,
        "carol/diary",
        "globex/internal",
    ]


# --- audit log ----------------------------------------------------------------------------
def test_events_are_numbered_and_listed_newest_first(catalog: Catalog) -> None:
    first = make_event(detail={"scope": "write", "token": "é"})
    catalog.record_event(replace(first, id=12345))  # the catalog numbers events itself
    catalog.record_event(make_event("token.create", actor=None, target="x" * 300, success=False))
    events = catalog.list_events()
    assert [e.action for e in events] == ["token.create", "user.signin"]
    assert events[0].id is not None and events[1].id is not None
    assert events[0].id > events[1].id != 12345
    assert events[1] == replace(first, id=events[1].id)
    assert (events[0].actor, events[0].target, events[0].success) == (None, "x" * 300, False)


def test_events_are_paged_and_filtered(catalog: Catalog) -> None:
    for index in range(9):
        actor = ["alice", "bob", "Alice"][index % 3]
        action = "user.signin" if index % 2 else "token.create"
        catalog.record_event(make_event(action, actor, target=str(index)))
    pages: list[list[str]] = []
    before = None
    while page := catalog.list_events(before=before, limit=4):
        pages.append([e.target for e in page])
        before = page[-1].id
    assert pages == [["8", "7", "6", "5"], ["4", "3", "2", "1"], ["0"]]
    assert [e.target for e in catalog.list_events(actor="alice")] == ["6", "3", "0"]
    assert [e.target for e in catalog.list_events(action="user.signin")] == ["7", "5", "3", "1"]
    both = catalog.list_events(actor="alice", action="token.create", limit=1)
    assert [e.target for e in both] == ["6"]
    after_six = catalog.list_events(actor="alice", action="token.create", before=both[0].id)
    assert [e.target for e in after_six] == ["0"]
    assert catalog.list_events(actor="nobody") == []


def test_overlong_event_fields_are_cut_rather_than_lost(catalog: Catalog) -> None:
    catalog.record_event(replace(make_event("a" * 100, "é" * 300), client="c" * 1000))
    (stored,) = catalog.list_events()
    assert (stored.action, stored.actor, stored.client) == ("a" * 64, "é" * 255, "c" * 255)
