"""``SqlCatalog``: the :class:`~weighthouse.domain.ports.Catalog` port on SQLAlchemy Core.

Accounts and repos live in this module; refs, commits and trees in :mod:`.history`, bucket
objects and maintenance queries in :mod:`.objects`. Every public method runs one transaction
and returns domain dataclasses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import (
    RepoExistsError,
    RepoNotFoundError,
    TokenNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Repo, RepoType, Token, User
from weighthouse.domain.ports import RepoQuery
from weighthouse.metadata.history import HistoryQueries
from weighthouse.metadata.objects import ObjectQueries
from weighthouse.metadata.rows import (
    repo_from,
    repo_row,
    token_from,
    token_row,
    user_from,
    user_row,
)
from weighthouse.metadata.tables import (
    commits,
    objects,
    refs,
    repos,
    tokens,
    tree_entries,
    trees,
    users,
)
from weighthouse.metadata.transactions import retry_transient, transaction


class SqlCatalog(HistoryQueries, ObjectQueries):
    """The catalog on SQLite, PostgreSQL or MariaDB, through ``engine``.

    Build the engine with :func:`weighthouse.metadata.engine.create_engine_for` (it sets the
    per-database options the catalog relies on) and migrate the schema first with
    :func:`weighthouse.metadata.migrate.upgrade`. The caller disposes of the engine.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- accounts -------------------------------------------------------------------------
    @retry_transient
    def add_user(self, user: User) -> None:
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(users).values(user_row(user)))
        except IntegrityError as exc:
            raise UserExistsError(f"user {user.name!r} exists", user=user.name) from exc

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
            found = connection.scalar(select(tokens.c.id).where(tokens.c.id == token_id))
        if found is None:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id)

    @retry_transient
    def touch_token(self, token_id: str, at: datetime) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(tokens).where(tokens.c.id == token_id).values(last_used_at=at)
            )

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
        query = select(repos).where(
            repos.c.type == type.value, repos.c.namespace == namespace, repos.c.name == name
        )
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            full_name = f"{namespace}/{name}"
            raise RepoNotFoundError(f"no {type.value} {full_name!r}", repo=full_name)
        return repo_from(row)

    def list_repos(self, query: RepoQuery) -> list[Repo]:
        """Ties on ``namespace/name`` (same name, different types) are ordered by type."""
        statement = select(repos)
        if query.type is not None:
            statement = statement.where(repos.c.type == query.type.value)
        if query.namespace is not None:
            statement = statement.where(repos.c.namespace == query.namespace)
        if query.search:
            found = repos.c.search_name.contains(query.search.lower(), autoescape=True)
            statement = statement.where(found)
        if query.after is not None:
            after_name, after_type = query.after
            statement = statement.where(
                or_(
                    repos.c.full_name > after_name,
                    and_(repos.c.full_name == after_name, repos.c.type > after_type.value),
                )
            )
        if not query.see_all:
            visible: ColumnElement[bool] = repos.c.private.is_(False)
            if query.viewer_id is not None:
                visible = or_(visible, repos.c.owner_id == query.viewer_id)
            statement = statement.where(visible)
        statement = statement.order_by(repos.c.full_name, repos.c.type).limit(query.limit)
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
                .values(private=repo.private, description=repo.description)
            ).rowcount
        if matched == 0:
            raise RepoNotFoundError(f"repo {repo.full_name!r} not found", repo=repo.full_name)

    @retry_transient
    def delete_repo(self, repo_id: str) -> None:
        """Idempotent. Children go first, so the foreign keys hold at every step."""
        children = (tree_entries, trees, commits, refs, objects)
        with transaction(self._engine, write=True) as connection:
            for table in children:
                connection.execute(delete(table).where(table.c.repo_id == repo_id))
            connection.execute(delete(repos).where(repos.c.id == repo_id))

    def check_ready(self) -> None:
        with transaction(self._engine) as connection:
            connection.execute(text("SELECT 1"))
