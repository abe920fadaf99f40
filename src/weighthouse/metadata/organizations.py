"""Organisations, their members, and collaborators on single repos; mixed into ``SqlCatalog``.

User and organisation names share one namespace, kept in the ``namespaces`` table:
:func:`claim_name` inserts the name there in the transaction that creates the account, so of
two accounts created at once with one name, the database lets exactly one commit.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import (
    OrganizationNotFoundError,
    RepoNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Member, Organization, Role
from weighthouse.domain.names import folded_name
from weighthouse.metadata.credential_epoch import bump_credential_epoch
from weighthouse.metadata.prepared_reads import first_row
from weighthouse.metadata.rows import member_from, member_row, org_from, org_row
from weighthouse.metadata.tables import (
    collaborators,
    memberships,
    namespaces,
    organizations,
    repos,
    users,
)
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert

NamespaceKind = Literal["user", "org"]

# Every object written to an organisation's bucket reads its organisation (the owner of the
# bucket, who owns objects written anonymously): a prepared read.
_ORG_BY_NAME = select(organizations).where(
    organizations.c.name == bindparam("name", type_=organizations.c.name.type)
)


def claim_name(connection: Connection, name: str, kind: NamespaceKind) -> None:
    """Take ``name`` for a user or an organisation; ``IntegrityError`` when either has it, in
    any mix of upper and lower case."""
    connection.execute(insert(namespaces).values(name=name, folded=folded_name(name), kind=kind))


def name_taken(name: str) -> UserExistsError:
    return UserExistsError(f"the name {name!r} is taken by a user or an organisation", user=name)


def readable_private_repos(viewer_id: str) -> ColumnElement[bool]:
    """Whether the viewer may read a ``repos`` row through their own namespace, a membership
    of the organisation named by its namespace, or as a collaborator on it."""
    own_name = select(users.c.name).where(users.c.id == viewer_id).scalar_subquery()
    member = exists().where(
        organizations.c.name == repos.c.namespace,
        memberships.c.org_id == organizations.c.id,
        memberships.c.user_id == viewer_id,
    )
    collaborator = exists().where(
        collaborators.c.repo_id == repos.c.id, collaborators.c.user_id == viewer_id
    )
    return (repos.c.namespace == own_name) | member | collaborator


def visible_repos(
    viewer_id: str | None, *, see_all: bool = False, restrict_to: tuple[str, ...] = ()
) -> ColumnElement[bool] | None:
    """Which ``repos`` rows the viewer may see, by :class:`~weighthouse.domain.ports.RepoQuery`'s
    rules (the catalog's mirror of ``repo_role``); ``None`` for all."""
    public = repos.c.private.is_(False)
    if see_all:
        private: ColumnElement[bool] | None = None
    elif viewer_id is not None:
        private = readable_private_repos(viewer_id)
    else:
        return public
    if restrict_to:
        # Namespaces never hold '/' and full names always do, so each entry matches one way.
        entries = list(restrict_to)
        reached = or_(repos.c.namespace.in_(entries), repos.c.full_name.in_(entries))
        private = reached if private is None else and_(private, reached)
    return None if private is None else or_(public, private)


class OrganizationQueries:
    _engine: Engine

    # --- organisations --------------------------------------------------------------------
    @retry_transient
    def add_org(self, org: Organization, founder: Member) -> None:
        """Raises ``UserExistsError`` when the name (or the id) is taken, and
        ``UserNotFoundError`` when ``founder.user_id`` names no user."""
        try:
            with transaction(self._engine, write=True) as connection:
                claim_name(connection, org.name, "org")
                connection.execute(insert(organizations).values(org_row(org)))
                connection.execute(insert(memberships).values(org_id=org.id, **member_row(founder)))
        except IntegrityError as exc:
            self._require_user(founder.user_id)
            raise name_taken(org.name) from exc

    def get_org(self, name: str) -> Organization:
        row = first_row(self._engine, _ORG_BY_NAME, {"name": name})
        if row is None:
            raise OrganizationNotFoundError(f"no organisation {name!r}", org=name)
        return org_from(row)

    def list_orgs(self, member_id: str | None = None) -> list[Organization]:
        """In name byte order."""
        query = select(organizations).order_by(organizations.c.name)
        if member_id is not None:
            query = query.join(memberships, memberships.c.org_id == organizations.c.id).where(
                memberships.c.user_id == member_id
            )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [org_from(row) for row in rows]

    # --- members --------------------------------------------------------------------------
    @retry_transient
    def set_member(self, org_id: str, member: Member) -> None:
        """A new member joins at ``member.created_at``; an existing one keeps its date and gets
        the new role. Raises ``OrganizationNotFoundError`` or ``UserNotFoundError`` when either
        id names nothing."""
        try:
            with transaction(self._engine, write=True) as connection:
                row = {"org_id": org_id, **member_row(member)}
                upsert(connection, memberships, row, update=("role",))
                bump_credential_epoch(connection)
        except IntegrityError:
            with transaction(self._engine) as connection:
                found = connection.scalar(
                    select(organizations.c.id).where(organizations.c.id == org_id)
                )
            if found is None:
                raise OrganizationNotFoundError(
                    f"no organisation with id {org_id!r}", org_id=org_id
                ) from None
            self._require_user(member.user_id)
            raise

    def remove_member(self, org_id: str, user_id: str) -> bool:
        return self._remove_grant(memberships.c.org_id, org_id, user_id)

    def list_members(self, org_id: str) -> list[Member]:
        """Ordered by the byte order of the user names."""
        return self._list_grants(memberships.c.org_id, org_id)

    def member_role(self, namespace: str, user_id: str) -> Role | None:
        """One indexed join: the organisation by its unique name, the membership by its key."""
        query = (
            select(memberships.c.role)
            .join(organizations, organizations.c.id == memberships.c.org_id)
            .where(organizations.c.name == namespace, memberships.c.user_id == user_id)
        )
        with transaction(self._engine) as connection:
            role = connection.scalar(query)
        return None if role is None else Role(role)

    # --- collaborators --------------------------------------------------------------------
    @retry_transient
    def set_collaborator(self, repo_id: str, member: Member) -> None:
        """Like :meth:`set_member`: a new collaborator is added at ``member.created_at``, an
        existing one gets the new role. Raises ``RepoNotFoundError`` or ``UserNotFoundError``
        when either id names nothing."""
        try:
            with transaction(self._engine, write=True) as connection:
                row = {"repo_id": repo_id, **member_row(member)}
                upsert(connection, collaborators, row, update=("role",))
                bump_credential_epoch(connection)
        except IntegrityError:
            with transaction(self._engine) as connection:
                found = connection.scalar(select(repos.c.id).where(repos.c.id == repo_id))
            if found is None:
                raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id) from None
            self._require_user(member.user_id)
            raise

    def remove_collaborator(self, repo_id: str, user_id: str) -> bool:
        return self._remove_grant(collaborators.c.repo_id, repo_id, user_id)

    def list_collaborators(self, repo_id: str) -> list[Member]:
        """Ordered by the byte order of the user names."""
        return self._list_grants(collaborators.c.repo_id, repo_id)

    # Memberships and collaborators are the same shape: (owner id, user id) -> role.
    @retry_transient
    def _remove_grant(self, owner: Column[str], owner_id: str, user_id: str) -> bool:
        table = owner.table
        statement = delete(table).where(owner == owner_id, table.c.user_id == user_id)
        with transaction(self._engine, write=True) as connection:
            removed = connection.execute(statement).rowcount > 0
            if removed:
                bump_credential_epoch(connection)
            return removed

    def _list_grants(self, owner: Column[str], owner_id: str) -> list[Member]:
        table = owner.table
        query = (
            select(table, users.c.name.label("user_name"))
            .join(users, users.c.id == table.c.user_id)
            .where(owner == owner_id)
            .order_by(users.c.name)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [member_from(row) for row in rows]

    def collaborator_role(self, repo_id: str, user_id: str) -> Role | None:
        query = select(collaborators.c.role).where(
            collaborators.c.repo_id == repo_id, collaborators.c.user_id == user_id
        )
        with transaction(self._engine) as connection:
            role = connection.scalar(query)
        return None if role is None else Role(role)

    def _require_user(self, user_id: str) -> None:
        with transaction(self._engine) as connection:
            found = connection.scalar(select(users.c.id).where(users.c.id == user_id))
        if found is None:
            raise UserNotFoundError(f"no user with id {user_id!r}", user_id=user_id)
