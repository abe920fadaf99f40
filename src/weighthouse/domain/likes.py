"""Likes, as the Hub has them: a signed-in user who can see a repo likes it (once; with a
credential that may change things) and may take it back. Whoever can see a repo sees how many
like it and who; a user's likes are listed to anyone, showing only the repos the caller can
see, so a like reveals nothing about a private repo."""

from __future__ import annotations

from typing import Protocol

from weighthouse.domain.access import Principal, repo_role, require_writing_user
from weighthouse.domain.catalog import UserCatalog
from weighthouse.domain.likes_catalog import Like, LikeCatalog
from weighthouse.domain.model import RepoId
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import RepoLookup, find_repo


class LikesCatalog(RepoLookup, LikeCatalog, UserCatalog, Protocol):
    """What :class:`Likes` uses."""


class Likes:
    def __init__(self, catalog: LikesCatalog, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def like(self, principal: Principal, repo_id: RepoId) -> int:
        """Like the repo; the number of its likes after. Liking twice counts once."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        self._catalog.add_like(repo.id, user.id, self._clock())
        return self._catalog.count_likes(repo.id)

    def unlike(self, principal: Principal, repo_id: RepoId) -> int:
        """Take a like back, if there was one; the number of the repo's likes after."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        self._catalog.remove_like(repo.id, user.id)
        return self._catalog.count_likes(repo.id)

    def count(self, principal: Principal, repo_id: RepoId) -> int:
        return self._catalog.count_likes(find_repo(self._catalog, principal, repo_id).id)

    def likers(
        self, principal: Principal, repo_id: RepoId, *, offset: int = 0, limit: int = 100
    ) -> list[Like]:
        """One page of who likes the repo, first likes first."""
        check_limit(limit)
        repo = find_repo(self._catalog, principal, repo_id)
        return self._catalog.repo_likes(repo.id, max(offset, 0), limit)

    def liked_by(
        self, principal: Principal, user_name: str, *, offset: int = 0, limit: int = 100
    ) -> tuple[list[Like], bool]:
        """One page (``limit`` likes, newest first, from ``offset``) of what ``user_name``
        likes, keeping only repos the caller can see, and whether more pages follow. Raises
        ``UserNotFoundError`` for a name no user has."""
        check_limit(limit)
        user = self._catalog.get_user(user_name)
        page = self._catalog.user_likes(user.id, max(offset, 0), limit)
        seen = [like for like in page if repo_role(self._catalog, principal, like.repo) is not None]
        return seen, len(page) == limit
