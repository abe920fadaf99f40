"""The catalog's role for discussions and pull requests (see
:mod:`~weighthouse.domain.discussions_model`). Part of
:class:`~weighthouse.domain.catalog.Catalog`; one transaction per call unless inside a unit
of work. Discussions go with their repo."""

from __future__ import annotations

from typing import Protocol

from weighthouse.domain.discussions_model import Discussion, DiscussionEvent, DiscussionQuery


class DiscussionCatalog(Protocol):
    def add_discussion(self, discussion: Discussion, first: DiscussionEvent | None) -> int:
        """Store a new discussion under the next free number of its repo (``discussion.num``
        and ``first.num`` are ignored), with ``first`` as its event 1 if given. Returns the
        number. Two concurrent calls never get the same one. Raises ``RepoNotFoundError``."""
        ...

    def get_discussion(self, repo_id: str, num: int) -> Discussion:
        """Raises ``NotFoundError``."""
        ...

    def list_discussions(self, query: DiscussionQuery) -> tuple[list[Discussion], int]:
        """One page of the repo's discussions matching the query, newest first, and how many
        match in all."""
        ...

    def update_discussion(self, discussion: Discussion) -> None:
        """Replace the title, status and merge commit of a stored discussion."""
        ...

    def add_discussion_event(self, event: DiscussionEvent) -> int:
        """Append ``event`` under the next number of its discussion (``event.seq`` ignored);
        returns that number."""
        ...

    def discussion_events(self, repo_id: str, num: int) -> list[DiscussionEvent]:
        """The discussion's events in order, with ``author`` filled in."""
        ...

    def update_discussion_event(self, event: DiscussionEvent) -> None:
        """Replace the content, ``edited`` and ``hidden`` of a stored event."""
        ...
