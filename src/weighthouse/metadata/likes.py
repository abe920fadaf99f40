"""Likes, mixed into ``SqlCatalog``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.likes_catalog import Like
from weighthouse.metadata.rows import repo_from
from weighthouse.metadata.tables import repo_likes, repos, users
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import insert_new


def _likes() -> Any:
    return (
        select(
            repos,
            users.c.name.label("liker"),
            repo_likes.c.created_at.label("liked_at"),
        )
        .select_from(repo_likes)
        .join(repos, repos.c.id == repo_likes.c.repo_id)
        .join(users, users.c.id == repo_likes.c.user_id)
    )


def _like_from(row: Any) -> Like:
    return Like(repo=repo_from(row), user=row.liker, at=row.liked_at)


class LikeQueries:
    _engine: Engine

    @retry_transient
    def add_like(self, repo_id: str, user_id: str, at: datetime) -> None:
        row = {"repo_id": repo_id, "user_id": user_id, "created_at": at}
        try:
            with transaction(self._engine, write=True) as connection:
                insert_new(connection, repo_likes, row)
        except IntegrityError:
            # Not a duplicate (insert_new takes those): the repo went away meanwhile.
            raise RepoNotFoundError(f"no repo with id {repo_id!r}") from None

    @retry_transient
    def remove_like(self, repo_id: str, user_id: str) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                delete(repo_likes).where(
                    repo_likes.c.repo_id == repo_id, repo_likes.c.user_id == user_id
                )
            )

    def count_likes(self, repo_id: str) -> int:
        query = select(func.count()).select_from(repo_likes).where(repo_likes.c.repo_id == repo_id)
        with transaction(self._engine) as connection:
            return int(connection.scalar(query) or 0)

    def repo_likes(self, repo_id: str, offset: int, limit: int) -> list[Like]:
        query = (
            _likes()
            .where(repo_likes.c.repo_id == repo_id)
            .order_by(repo_likes.c.created_at, users.c.name)
            .offset(offset)
            .limit(limit)
        )
        with transaction(self._engine) as connection:
            return [_like_from(row) for row in connection.execute(query)]

    def user_likes(self, user_id: str, offset: int, limit: int) -> list[Like]:
        query = (
            _likes()
            .where(repo_likes.c.user_id == user_id)
            .order_by(repo_likes.c.created_at.desc(), repo_likes.c.repo_id)
            .offset(offset)
            .limit(limit)
        )
        with transaction(self._engine) as connection:
            return [_like_from(row) for row in connection.execute(query)]
