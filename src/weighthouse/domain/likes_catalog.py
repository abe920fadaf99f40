"""The catalog's role for likes: which users like which repos. Part of
:class:`~weighthouse.domain.catalog.Catalog`; likes go with their repo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from weighthouse.domain.model import Repo


@dataclass(frozen=True)
class Like:
    """``user`` (a name, read back: it follows renames) likes ``repo`` since ``at``."""

    repo: Repo
    user: str
    at: datetime


class LikeCatalog(Protocol):
    def add_like(self, repo_id: str, user_id: str, at: datetime) -> None:
        """Record that the user likes the repo; liking again changes nothing (the first time
        stays). Raises ``RepoNotFoundError`` for a repo that is gone."""
        ...

    def remove_like(self, repo_id: str, user_id: str) -> None:
        """Forget the like, if there is one."""
        ...

    def count_likes(self, repo_id: str) -> int: ...

    def repo_likes(self, repo_id: str, offset: int, limit: int) -> list[Like]:
        """One page of the repo's likes, oldest first."""
        ...

    def user_likes(self, user_id: str, offset: int, limit: int) -> list[Like]:
        """One page of the likes of the user, newest first, whatever the repos' visibility
        (the use case filters)."""
        ...
