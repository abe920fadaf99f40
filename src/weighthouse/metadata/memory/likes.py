"""Likes in the in-memory catalog."""

from __future__ import annotations

from datetime import UTC, datetime

from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.likes_catalog import Like
from weighthouse.metadata.memory.tables import MemoryTables


class MemoryLikes(MemoryTables):
    def add_like(self, repo_id: str, user_id: str, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        with self._lock:
            if repo_id not in self._tables.repos:
                raise RepoNotFoundError(f"no repo with id {repo_id!r}")
            self._tables.likes.setdefault((repo_id, user_id), at.astimezone(UTC))

    def remove_like(self, repo_id: str, user_id: str) -> None:
        with self._lock:
            self._tables.likes.pop((repo_id, user_id), None)

    def count_likes(self, repo_id: str) -> int:
        with self._lock:
            return sum(1 for repo, _ in self._tables.likes if repo == repo_id)

    def repo_likes(self, repo_id: str, offset: int, limit: int) -> list[Like]:
        with self._lock:
            found = [
                self._like(r, u, at) for (r, u), at in self._tables.likes.items() if r == repo_id
            ]
        found.sort(key=lambda like: (like.at, like.user))
        return found[offset : offset + limit]

    def user_likes(self, user_id: str, offset: int, limit: int) -> list[Like]:
        with self._lock:
            found = [
                (at, r, self._like(r, u, at))
                for (r, u), at in self._tables.likes.items()
                if u == user_id
            ]
        # Newest first; ties by repo id, as the SQL catalog orders them.
        found.sort(key=lambda item: item[1])
        found.sort(key=lambda item: item[0], reverse=True)
        return [like for _, _, like in found[offset : offset + limit]]

    def _like(self, repo_id: str, user_id: str, at: datetime) -> Like:
        return Like(self._tables.repos[repo_id], self._tables.users[user_id].name, at)
