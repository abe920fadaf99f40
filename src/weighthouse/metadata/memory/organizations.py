"""Organisations, members and collaborators of the in-memory catalog.

User and organisation names share one namespace (``Tables.namespaces``), which a user or an
organisation takes under the catalog's lock, so of two accounts created at once with one name
exactly one is created.
"""

from __future__ import annotations

from weighthouse.domain.errors import (
    OrganizationNotFoundError,
    RepoNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import Member, Organization, Role
from weighthouse.domain.names import folded_name
from weighthouse.metadata.memory.accounts import name_taken
from weighthouse.metadata.memory.tables import Grant, MemoryTables, in_utc, utc, utf8


class MemoryOrganizations(MemoryTables):
    # --- organisations ----------------------------------------------------------------------
    def add_org(self, org: Organization, founder: Member) -> None:
        with self._lock:
            tables = self._tables
            self._require_user(founder.user_id)
            if folded_name(org.name) in tables.namespaces or org.id in tables.orgs:
                raise name_taken(org.name)
            tables.namespaces[folded_name(org.name)] = "org"
            tables.orgs[org.id] = in_utc(org)
            tables.org_ids[org.name] = org.id
            tables.memberships[org.id, founder.user_id] = Grant(
                founder.role, utc(founder.created_at)
            )

    def get_org(self, name: str) -> Organization:
        with self._lock:
            org_id = self._tables.org_ids.get(name)
            if org_id is None:
                raise OrganizationNotFoundError(f"no organisation {name!r}", org=name)
            return self._tables.orgs[org_id]

    def list_orgs(self, member_id: str | None = None) -> list[Organization]:
        with self._lock:
            tables = self._tables
            orgs = [
                org
                for org in tables.orgs.values()
                if member_id is None or (org.id, member_id) in tables.memberships
            ]
        return sorted(orgs, key=lambda org: utf8(org.name))

    # --- members ----------------------------------------------------------------------------
    def set_member(self, org_id: str, member: Member) -> None:
        with self._lock:
            if org_id not in self._tables.orgs:
                raise OrganizationNotFoundError(
                    f"no organisation with id {org_id!r}", org_id=org_id
                )
            self._grant(self._tables.memberships, org_id, member)
            self._bump_credential_epoch()

    def remove_member(self, org_id: str, user_id: str) -> bool:
        with self._lock:
            return self._revoke_grant(self._tables.memberships, (org_id, user_id))

    def list_members(self, org_id: str) -> list[Member]:
        with self._lock:
            return self._members(self._tables.memberships, org_id)

    def member_role(self, namespace: str, user_id: str) -> Role | None:
        with self._lock:
            org_id = self._tables.org_ids.get(namespace)
            grant = None if org_id is None else self._tables.memberships.get((org_id, user_id))
        return None if grant is None else grant.role

    # --- collaborators ----------------------------------------------------------------------
    def set_collaborator(self, repo_id: str, member: Member) -> None:
        with self._lock:
            if repo_id not in self._tables.repos:
                raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id)
            self._grant(self._tables.collaborators, repo_id, member)
            self._bump_credential_epoch()

    def remove_collaborator(self, repo_id: str, user_id: str) -> bool:
        with self._lock:
            return self._revoke_grant(self._tables.collaborators, (repo_id, user_id))

    def _revoke_grant(self, grants: dict[tuple[str, str], Grant], key: tuple[str, str]) -> bool:
        removed = grants.pop(key, None) is not None
        if removed:
            self._bump_credential_epoch()
        return removed

    def list_collaborators(self, repo_id: str) -> list[Member]:
        with self._lock:
            return self._members(self._tables.collaborators, repo_id)

    def collaborator_role(self, repo_id: str, user_id: str) -> Role | None:
        with self._lock:
            grant = self._tables.collaborators.get((repo_id, user_id))
        return None if grant is None else grant.role

    # Memberships and collaborators are the same shape: (owner id, user id) -> role.
    def _grant(self, grants: dict[tuple[str, str], Grant], owner_id: str, member: Member) -> None:
        """Add the grant, or change only the role of an existing one."""
        self._require_user(member.user_id)
        current = grants.get((owner_id, member.user_id))
        joined = utc(member.created_at) if current is None else current.created_at
        grants[owner_id, member.user_id] = Grant(member.role, joined)

    def _members(self, grants: dict[tuple[str, str], Grant], owner_id: str) -> list[Member]:
        users = self._tables.users
        members = [
            Member(user_id, users[user_id].name, grant.role, grant.created_at)
            for (owner, user_id), grant in grants.items()
            if owner == owner_id
        ]
        return sorted(members, key=lambda member: utf8(member.user_name))

    def _require_user(self, user_id: str) -> None:
        if user_id not in self._tables.users:
            raise UserNotFoundError(f"no user with id {user_id!r}", user_id=user_id)
