"""``SqlCatalog``: the :class:`~weighthouse.domain.ports.Catalog` port on SQLAlchemy Core.

Accounts, sessions and repos live in this module; organisations, members and collaborators in
:mod:`.organizations`, the audit log in :mod:`.audit`, refs, commits and trees in
:mod:`.history`, bucket objects and maintenance queries in :mod:`.objects`, upload records and
the blob-proof lookup in :mod:`.blob_sources`, S3 access keys in :mod:`.access_keys`, jobs in
:mod:`.jobs`. Every public method runs one transaction, or joins the unit of work open on the
engine (:mod:`.transactions`), and returns domain dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import (
    ObjectLockedError,
    RepoExistsError,
    RepoNotFoundError,
    SessionNotFoundError,
    TokenNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import Repo, RepoOrder, RepoType, Session, Token, User
from weighthouse.domain.ports import RepoQuery
from weighthouse.metadata import group_commit
from weighthouse.metadata.access_keys import AccessKeyQueries
from weighthouse.metadata.access_requests import AccessRequestQueries
from weighthouse.metadata.audit import AuditQueries
from weighthouse.metadata.blob_sources import BlobSourceQueries
from weighthouse.metadata.bucket_configurations import BucketConfigurationQueries, RevisionCache
from weighthouse.metadata.credential_epoch import CredentialEpochQueries, bump_credential_epoch
from weighthouse.metadata.discussions import DiscussionQueries
from weighthouse.metadata.findings import FindingQueries
from weighthouse.metadata.history import HistoryQueries
from weighthouse.metadata.jobs import JobQueries
from weighthouse.metadata.likes import LikeQueries
from weighthouse.metadata.multipart import MultipartQueries
from weighthouse.metadata.object_versions import ObjectVersionQueries, holds_locked_version
from weighthouse.metadata.objects import ObjectQueries
from weighthouse.metadata.organizations import (
    OrganizationQueries,
    claim_name,
    name_taken,
    visible_repos,
)
from weighthouse.metadata.prepared_reads import first_row
from weighthouse.metadata.rows import (
    repo_from,
    repo_row,
    session_from,
    session_row,
    token_from,
    token_row,
    user_from,
    user_row,
)
from weighthouse.metadata.tables import (
    access_requests,
    bucket_configurations,
    collaborators,
    commits,
    deleted_tags,
    discussion_events,
    discussions,
    multipart_parts,
    multipart_uploads,
    object_versions,
    objects,
    refs,
    repo_likes,
    repos,
    sessions,
    tokens,
    tree_entries,
    trees,
    users,
)
from weighthouse.metadata.transactions import (
    after_commit,
    in_unit,
    retry_transient,
    run_retrying,
    transaction,
    unit,
)

T = TypeVar("T")

# The column each order sorts by before the name (descending); none for the name order.
_ORDER_KEYS: dict[RepoOrder, Any] = {
    RepoOrder.NAME: None,
    RepoOrder.UPDATED: repos.c.updated_at,
    RepoOrder.SIZE: repos.c.size,
    RepoOrder.CREATED: repos.c.created_at,
    # Counted per listed repo (on repo_likes' primary key), not kept on the repo row.
    RepoOrder.LIKES: select(func.count())
    .select_from(repo_likes)
    .where(repo_likes.c.repo_id == repos.c.id)
    .scalar_subquery(),
}

# One repo by its name, built once: every request on a repo or bucket reads it.
_REPO_BY_NAME = select(repos).where(
    repos.c.type == bindparam("type", type_=repos.c.type.type),
    repos.c.namespace == bindparam("namespace", type_=repos.c.namespace.type),
    repos.c.name == bindparam("name", type_=repos.c.name.type),
)


class SqlCatalog(
    HistoryQueries,
    ObjectQueries,
    ObjectVersionQueries,
    MultipartQueries,
    BucketConfigurationQueries,
    OrganizationQueries,
    AuditQueries,
    BlobSourceQueries,
    AccessKeyQueries,
    AccessRequestQueries,
    CredentialEpochQueries,
    JobQueries,
    DiscussionQueries,
    FindingQueries,
    LikeQueries,
):
    """The catalog on SQLite, PostgreSQL or MariaDB, through ``engine``.

    Build the engine with :func:`weighthouse.metadata.engine.create_engine_for` (it sets the
    per-database options the catalog relies on) and migrate the schema first with
    :func:`weighthouse.metadata.migrate.upgrade`. The caller disposes of the engine.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._configurations = RevisionCache()
        # SQLite is a file this process reads itself; a server database is a round trip away.
        self.local_reads = engine.dialect.name == "sqlite"
        # Only SQLite's object writes go through a group commit (group_commit.for_engine).
        self.loop_writes = group_commit.for_engine(engine) is not None

    # --- units of work --------------------------------------------------------------------
    def atomic(self) -> AbstractContextManager[None]:
        """Every call on this engine from this thread inside the block shares one write
        transaction (see :class:`~weighthouse.domain.ports.UnitOfWork`); catalogs on the same
        engine share it too."""
        return unit(self._engine)

    def run_atomic(self, work: Callable[[], T]) -> T:
        if in_unit(self._engine):
            return work()

        def attempt() -> T:
            with unit(self._engine):
                return work()

        return run_retrying(attempt)

    def after_commit(self, action: Callable[[], None]) -> None:
        after_commit(self._engine, action)

    # --- accounts -------------------------------------------------------------------------
    @retry_transient
    def add_user(self, user: User) -> None:
        """Raises ``UserExistsError`` when a user or an organisation has the name (or the id is
        taken): the name is claimed in ``namespaces`` in the same transaction."""
        try:
            with transaction(self._engine, write=True) as connection:
                claim_name(connection, user.name, "user")
                connection.execute(insert(users).values(user_row(user)))
        except IntegrityError as exc:
            raise name_taken(user.name) from exc

    @retry_transient
    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._update_user(user_id, password_hash=password_hash)

    @retry_transient
    def set_user_disabled(self, user_id: str, disabled: bool) -> None:
        self._update_user(user_id, disabled=disabled)

    def _update_user(self, user_id: str, **values: object) -> None:
        with transaction(self._engine, write=True) as connection:
            # Matched rows, also on MariaDB (FOUND_ROWS): setting the same value finds the user.
            matched = connection.execute(
                update(users).where(users.c.id == user_id).values(**values)
            ).rowcount
            bump_credential_epoch(connection)
        if matched == 0:
            raise UserNotFoundError(f"no user with id {user_id!r}", user_id=user_id)

    def get_user(self, name: str) -> User:
        with transaction(self._engine) as connection:
            row = connection.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise UserNotFoundError(f"no user {name!r}", user=name)
        return user_from(row)

    def get_user_by_id(self, user_id: str) -> User:
        with transaction(self._engine) as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise UserNotFoundError(f"no user with id {user_id!r}", user_id=user_id)
        return user_from(row)

    def list_users(self) -> list[User]:
        with transaction(self._engine) as connection:
            rows = connection.execute(select(users).order_by(users.c.name)).all()
        return [user_from(row) for row in rows]

    def count_users(self) -> int:
        with transaction(self._engine) as connection:
            return connection.scalar(select(func.count()).select_from(users)) or 0

    @retry_transient
    def add_token(self, token: Token) -> None:
        """Raises ``UserNotFoundError`` when ``token.user_id`` names no user."""
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(tokens).values(token_row(token)))
        except IntegrityError:
            self.get_user_by_id(token.user_id)  # raises UserNotFoundError for a missing owner
            raise

    def get_token(self, token_id: str) -> Token:
        with transaction(self._engine) as connection:
            row = connection.execute(select(tokens).where(tokens.c.id == token_id)).first()
        if row is None:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id)
        return token_from(row)

    def list_tokens(self, user_id: str) -> list[Token]:
        query = (
            select(tokens)
            .where(tokens.c.user_id == user_id)
            .order_by(tokens.c.created_at, tokens.c.id)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [token_from(row) for row in rows]

    @retry_transient
    def revoke_token(self, token_id: str, at: datetime) -> None:
        """Idempotent: revoking again keeps the first revocation time."""
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(tokens)
                .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            bump_credential_epoch(connection)
            found = connection.scalar(select(tokens.c.id).where(tokens.c.id == token_id))
        if found is None:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id)

    @retry_transient
    def touch_token(self, token_id: str, at: datetime) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(tokens).where(tokens.c.id == token_id).values(last_used_at=at)
            )

    # --- sessions -------------------------------------------------------------------------
    @retry_transient
    def add_session(self, session: Session) -> None:
        """Raises ``UserNotFoundError`` when ``session.user_id`` names no user."""
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(sessions).values(session_row(session)))
        except IntegrityError:
            self.get_user_by_id(session.user_id)  # raises UserNotFoundError for a missing user
            raise

    def get_session(self, session_id: str) -> Session:
        with transaction(self._engine) as connection:
            row = connection.execute(select(sessions).where(sessions.c.id == session_id)).first()
        if row is None:
            raise SessionNotFoundError(f"no session {session_id!r}", session=session_id)
        return session_from(row)

    @retry_transient
    def revoke_session(self, session_id: str, at: datetime) -> None:
        """Idempotent: revoking again keeps the first time; a missing session is ignored."""
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            bump_credential_epoch(connection)

    # --- repos ----------------------------------------------------------------------------
    @retry_transient
    def add_repo(self, repo: Repo) -> None:
        """Raises ``RepoExistsError`` when ``(type, namespace, name)`` or the id is taken, and
        ``UserNotFoundError`` when ``repo.owner_id`` names no user."""
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(repos).values(repo_row(repo)))
        except IntegrityError as exc:
            self.get_user_by_id(repo.owner_id)  # raises UserNotFoundError for a missing owner
            raise RepoExistsError(
                f"{repo.type.value} {repo.full_name!r} exists", repo=repo.full_name
            ) from exc

    def get_repo(self, type: RepoType, namespace: str, name: str) -> Repo:
        parameters = {"type": type.value, "namespace": namespace, "name": name}
        # Every request on a repo or bucket starts here: a prepared read where one may be used.
        row = first_row(self._engine, _REPO_BY_NAME, parameters)
        if row is None:
            raise RepoNotFoundError.named(f"{namespace}/{name}")
        return repo_from(row)

    def list_repos(self, query: RepoQuery) -> list[Repo]:
        """Ties on ``namespace/name`` (same name, different types) are ordered by type.

        A ``restrict_to`` limits private repos even when ``see_all`` is set, as a restricted
        admin token reaches only its entries. One statement: memberships and collaborations
        are correlated subqueries on their keys."""
        statement = select(repos)
        if query.type is not None:
            statement = statement.where(repos.c.type == query.type.value)
        if query.namespace is not None:
            statement = statement.where(repos.c.namespace == query.namespace)
        if query.search:
            found = repos.c.search_name.contains(query.search.lower(), autoescape=True)
            statement = statement.where(found)
        key = _ORDER_KEYS[query.order]
        if query.after is not None:
            after_name, after_type = query.after
            position = or_(
                repos.c.full_name > after_name,
                and_(repos.c.full_name == after_name, repos.c.type > after_type.value),
            )
            if key is not None:
                if query.after_key is None:
                    raise ValueError(f"a page in {query.order} order continues after a key")
                # Descending: later pages hold smaller keys.
                position = or_(key < query.after_key, and_(key == query.after_key, position))
            statement = statement.where(position)
        visible = visible_repos(
            query.viewer_id, see_all=query.see_all, restrict_to=query.restrict_to
        )
        if visible is not None:
            statement = statement.where(visible)
        ordering = [repos.c.full_name, repos.c.type]
        if key is not None:
            ordering.insert(0, key.desc())
        statement = statement.order_by(*ordering).limit(query.limit)
        with transaction(self._engine) as connection:
            rows = connection.execute(statement).all()
        return [repo_from(row) for row in rows]

    @retry_transient
    def update_repo(self, repo: Repo) -> None:
        with transaction(self._engine, write=True) as connection:
            # rowcount counts matched rows on every database (MariaDB's dialect sets
            # FOUND_ROWS), so an update that changes nothing still finds the repo.
            matched = connection.execute(
                update(repos)
                .where(repos.c.id == repo.id)
                .values(private=repo.private, description=repo.description, gated=repo.gated.value)
            ).rowcount
        if matched == 0:
            raise RepoNotFoundError.named(repo.full_name)

    @retry_transient
    def rename_repo(self, repo_id: str, namespace: str, name: str) -> None:
        full_name = f"{namespace}/{name}"
        try:
            with transaction(self._engine, write=True) as connection:
                matched = connection.execute(
                    update(repos)
                    .where(repos.c.id == repo_id)
                    .values(
                        namespace=namespace,
                        name=name,
                        full_name=full_name,
                        search_name=full_name.lower(),
                    )
                ).rowcount
        except IntegrityError as exc:
            raise RepoExistsError(f"{full_name!r} exists", repo=full_name) from exc
        if matched == 0:
            raise RepoNotFoundError.named(full_name)

    @retry_transient
    def delete_repo(self, repo_id: str, *, at: datetime | None = None) -> None:
        """Idempotent. Children go first, so the foreign keys hold at every step; the repo's row
        is locked before them, as every object write locks it first, so a write cannot add a
        child between the children's delete and the repo's (PostgreSQL and MariaDB; SQLite
        has one writer). The check for locked object versions reads under that lock too."""
        children = (
            tree_entries,
            trees,
            commits,
            refs,
            deleted_tags,
            objects,
            object_versions,
            bucket_configurations,
            collaborators,
            access_requests,
            discussion_events,
            discussions,
            repo_likes,
            multipart_uploads,
        )
        uploads = select(multipart_uploads.c.id).where(multipart_uploads.c.repo_id == repo_id)
        with transaction(self._engine, write=True) as connection:
            if connection.dialect.name != "sqlite":
                connection.execute(
                    select(repos.c.id).where(repos.c.id == repo_id).with_for_update()
                )
            if holds_locked_version(connection, repo_id, at or datetime.now(UTC)):
                raise ObjectLockedError(
                    "the bucket holds object versions under retention or legal hold",
                    repo_id=repo_id,
                )
            connection.execute(
                delete(multipart_parts).where(multipart_parts.c.upload_id.in_(uploads))
            )
            for table in children:
                connection.execute(delete(table).where(table.c.repo_id == repo_id))
            connection.execute(delete(repos).where(repos.c.id == repo_id))

    def check_ready(self) -> None:
        with transaction(self._engine) as connection:
            connection.execute(text("SELECT 1"))
