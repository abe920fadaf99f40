"""Organisations ("folders"), their members, and collaborators on single repos.

A member's role covers every repo in the organisation's namespace, present and future, because
access is decided from the membership at each request (see :mod:`~weighthouse.domain.access`).
Organisation admins (and site admins) manage members; repo admins manage collaborators. Every
change is stored in one transaction with its audit row.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from weighthouse.domain.access import Principal, require_repo, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import (
    CollaboratorCatalog,
    OrganizationCatalog,
    UnitOfWork,
    UserCatalog,
)
from weighthouse.domain.errors import (
    ConflictError,
    EntryNotFoundError,
    InvalidInputError,
    OrganizationNotFoundError,
    PermissionDeniedError,
)
from weighthouse.domain.model import Member, Organization, RepoId, Role, Scope
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import RepoLookup, find_repo

DESCRIPTION_MAX = 2000


class MembershipCatalog(
    OrganizationCatalog, CollaboratorCatalog, UserCatalog, RepoLookup, UnitOfWork, Protocol
):
    """What :class:`Organizations` uses: organisations with their members, collaborators on
    repos, the users they name, and the repos with the caller's access to them."""


class Organizations:
    def __init__(self, catalog: MembershipCatalog, clock: Clock, audit: Audit) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit

    def create(self, principal: Principal, name: str, *, description: str = "") -> Organization:
        """A new organisation with the caller as its first admin."""
        user = require_user(principal)
        if principal.scope is Scope.READ or principal.restrict_to:
            raise PermissionDeniedError("this credential cannot create organisations")
        check_name(name, what="organisation name")
        if len(description) > DESCRIPTION_MAX:
            raise InvalidInputError(f"description must be at most {DESCRIPTION_MAX} characters")
        now = self._clock()
        org = Organization(id=uuid.uuid4().hex, name=name, created_at=now, description=description)
        founder = Member(user.id, user.name, Role.ADMIN, now)

        def store() -> None:
            self._catalog.add_org(org, founder)
            self._audit.record("org.create", actor=user.name, target=name)

        self._catalog.run_atomic(store)
        return org

    def get(self, principal: Principal, name: str) -> Organization:
        """Organisations are public by name, like user namespaces."""
        check_name(name, what="organisation name")
        return self._catalog.get_org(name)

    def list_orgs(self, principal: Principal, *, mine: bool = False) -> list[Organization]:
        if mine:
            return self._catalog.list_orgs(require_user(principal).id)
        return self._catalog.list_orgs(None)

    def members(self, principal: Principal, name: str) -> list[Member]:
        """Members of the organisation; visible to its members and to site admins."""
        org = self._org(name)
        self._require_role(principal, org, Role.READ)
        return self._catalog.list_members(org.id)

    def set_member(self, principal: Principal, name: str, user_name: str, role: Role) -> Member:
        """Add a member or change a role. Organisation admins only."""
        org = self._org(name)
        actor = self._require_role(principal, org, Role.ADMIN)
        user = self._catalog.get_user(check_name(user_name, what="user name"))
        member = Member(user.id, user.name, role, self._clock())

        def store() -> None:
            # Inside the unit, so the last admin check sees the members the change replaces.
            if role is not Role.ADMIN:
                self._keep_an_admin(org, user.id)
            self._catalog.set_member(org.id, member)
            self._audit.record(
                "org.member.set",
                actor=actor,
                target=f"{name}:{user.name}",
                detail={"role": role.value},
            )

        self._catalog.run_atomic(store)
        return member

    def remove_member(self, principal: Principal, name: str, user_name: str) -> None:
        """Remove a member: their access ends with their next request. Members may leave."""
        org = self._org(name)
        caller = require_user(principal)
        if caller.name == user_name and principal.scope is not Scope.READ:
            actor = caller.name
        else:
            actor = self._require_role(principal, org, Role.ADMIN)
        user = self._catalog.get_user(check_name(user_name, what="user name"))

        def remove() -> None:
            self._keep_an_admin(org, user.id)
            if not self._catalog.remove_member(org.id, user.id):
                raise EntryNotFoundError(f"{user_name!r} is not a member of {name!r}")
            self._audit.record("org.member.remove", actor=actor, target=f"{name}:{user.name}")

        self._catalog.run_atomic(remove)

    def _keep_an_admin(self, org: Organization, leaving_admin_id: str) -> None:
        admins = [m for m in self._catalog.list_members(org.id) if m.role is Role.ADMIN]
        if [m.user_id for m in admins] == [leaving_admin_id]:
            raise ConflictError(f"{org.name!r} would have no admin left")

    def _org(self, name: str) -> Organization:
        check_name(name, what="organisation name")
        return self._catalog.get_org(name)

    def _require_role(self, principal: Principal, org: Organization, need: Role) -> str:
        user = require_user(principal)
        if principal.is_admin:
            return user.name
        role = self._catalog.member_role(org.name, user.id)
        if role is None:
            raise OrganizationNotFoundError(f"no organisation {org.name!r}", org=org.name)
        if not principal.reaches(org.name) or not role.capped(principal.scope).allows(need):
            raise PermissionDeniedError(f"this needs the {need.value} role in {org.name!r}")
        return user.name

    # --- collaborators on one repo ---------------------------------------------------------
    def collaborators(self, principal: Principal, repo_id: RepoId) -> list[Member]:
        repo = find_repo(self._catalog, principal, repo_id, Role.READ)
        return self._catalog.list_collaborators(repo.id)

    def set_collaborator(
        self, principal: Principal, repo_id: RepoId, user_name: str, role: Role
    ) -> Member:
        repo = find_repo(self._catalog, principal, repo_id, Role.READ)
        require_repo(self._catalog, principal, repo, Role.ADMIN)
        user = self._catalog.get_user(check_name(user_name, what="user name"))
        member = Member(user.id, user.name, role, self._clock())

        def store() -> None:
            self._catalog.set_collaborator(repo.id, member)
            self._audit.record(
                "repo.collaborator.set",
                actor=self._audit.by(principal),
                target=f"{repo.full_name}:{user.name}",
                detail={"role": role.value},
            )

        self._catalog.run_atomic(store)
        return member

    def remove_collaborator(self, principal: Principal, repo_id: RepoId, user_name: str) -> None:
        repo = find_repo(self._catalog, principal, repo_id, Role.READ)
        require_repo(self._catalog, principal, repo, Role.ADMIN)
        user = self._catalog.get_user(check_name(user_name, what="user name"))

        def remove() -> None:
            if not self._catalog.remove_collaborator(repo.id, user.id):
                raise EntryNotFoundError(
                    f"{user_name!r} is not a collaborator on {repo.full_name!r}"
                )
            self._audit.record(
                "repo.collaborator.remove",
                actor=self._audit.by(principal),
                target=f"{repo.full_name}:{user.name}",
            )

        self._catalog.run_atomic(remove)
