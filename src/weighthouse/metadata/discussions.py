"""Discussions and pull requests, mixed into ``SqlCatalog``.

A new discussion takes the repo's highest number plus one inside its write transaction; two
writers that read the same highest number collide on the primary key, and the loser reads
again. Events are numbered within their discussion the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.discussions_model import (
    Discussion,
    DiscussionEvent,
    DiscussionQuery,
    DiscussionStatus,
    EventKind,
)
from weighthouse.domain.errors import NotFoundError, RepoNotFoundError, StorageError
from weighthouse.metadata.tables import discussion_events, discussions, repos, users
from weighthouse.metadata.transactions import retry_transient, transaction

_ATTEMPTS = 20
"""Tries of a numbered insert before giving up: each loss means another writer took the
number, so this many in a row only happens under a storm of writers."""


def _named(table: Any) -> Select[Any]:
    return select(table, users.c.name.label("author_name")).join(
        users, users.c.id == table.c.author_id
    )


def _discussion_from(row: Any) -> Discussion:
    return Discussion(
        repo_id=row.repo_id,
        num=row.num,
        title=row.title,
        author_id=row.author_id,
        status=DiscussionStatus(row.status),
        is_pull_request=bool(row.is_pull_request),
        created_at=row.created_at,
        author=row.author_name,
        target_branch=row.target_branch,
        base_commit=row.base_commit,
        merge_commit=row.merge_commit,
    )


def _event_from(row: Any) -> DiscussionEvent:
    return DiscussionEvent(
        repo_id=row.repo_id,
        num=row.num,
        seq=row.seq,
        kind=EventKind(row.kind),
        author_id=row.author_id,
        content=row.content,
        created_at=row.created_at,
        author=row.author_name,
        old=row.old,
        edited=bool(row.edited),
        hidden=bool(row.hidden),
    )


def _event_row(event: DiscussionEvent, num: int, seq: int) -> dict[str, Any]:
    return {
        "repo_id": event.repo_id,
        "num": num,
        "seq": seq,
        "kind": event.kind.value,
        "author_id": event.author_id,
        "content": event.content,
        "old": event.old,
        "edited": event.edited,
        "hidden": event.hidden,
        "created_at": event.created_at,
    }


class DiscussionQueries:
    _engine: Engine

    @retry_transient
    def add_discussion(self, discussion: Discussion, first: DiscussionEvent | None) -> int:
        for _ in range(_ATTEMPTS):
            try:
                with transaction(self._engine, write=True) as connection:
                    top = connection.scalar(
                        select(func.max(discussions.c.num)).where(
                            discussions.c.repo_id == discussion.repo_id
                        )
                    )
                    num = (top or 0) + 1
                    connection.execute(
                        insert(discussions).values(
                            repo_id=discussion.repo_id,
                            num=num,
                            title=discussion.title,
                            author_id=discussion.author_id,
                            status=discussion.status.value,
                            is_pull_request=discussion.is_pull_request,
                            created_at=discussion.created_at,
                            target_branch=discussion.target_branch,
                            base_commit=discussion.base_commit,
                            merge_commit=discussion.merge_commit,
                        )
                    )
                    if first is not None:
                        connection.execute(
                            insert(discussion_events).values(_event_row(first, num, 1))
                        )
                return num
            except IntegrityError:
                with transaction(self._engine) as connection:
                    found = connection.scalar(
                        select(repos.c.id).where(repos.c.id == discussion.repo_id)
                    )
                if found is None:
                    raise RepoNotFoundError(f"no repo with id {discussion.repo_id!r}") from None
        raise StorageError("could not number a new discussion; try again")

    def get_discussion(self, repo_id: str, num: int) -> Discussion:
        query = _named(discussions).where(
            discussions.c.repo_id == repo_id, discussions.c.num == num
        )
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise NotFoundError(f"no discussion #{num} in this repo", num=num)
        return _discussion_from(row)

    def list_discussions(self, query: DiscussionQuery) -> tuple[list[Discussion], int]:
        where = [discussions.c.repo_id == query.repo_id]
        if query.is_pull_request is not None:
            where.append(discussions.c.is_pull_request == query.is_pull_request)
        if query.status is not None:
            where.append(discussions.c.status == query.status.value)
        if query.author_id is not None:
            where.append(discussions.c.author_id == query.author_id)
        page = (
            _named(discussions)
            .where(*where)
            .order_by(discussions.c.num.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(page).all()
            total = connection.scalar(select(func.count()).select_from(discussions).where(*where))
        return [_discussion_from(row) for row in rows], int(total or 0)

    @retry_transient
    def update_discussion(self, discussion: Discussion) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(discussions)
                .where(
                    discussions.c.repo_id == discussion.repo_id,
                    discussions.c.num == discussion.num,
                )
                .values(
                    title=discussion.title,
                    status=discussion.status.value,
                    merge_commit=discussion.merge_commit,
                )
            )

    @retry_transient
    def add_discussion_event(self, event: DiscussionEvent) -> int:
        for _ in range(_ATTEMPTS):
            try:
                with transaction(self._engine, write=True) as connection:
                    top = connection.scalar(
                        select(func.max(discussion_events.c.seq)).where(
                            discussion_events.c.repo_id == event.repo_id,
                            discussion_events.c.num == event.num,
                        )
                    )
                    seq = (top or 0) + 1
                    connection.execute(
                        insert(discussion_events).values(_event_row(event, event.num, seq))
                    )
                return seq
            except IntegrityError:
                self.get_discussion(event.repo_id, event.num)
        raise StorageError("could not number a new discussion event; try again")

    def discussion_events(self, repo_id: str, num: int) -> list[DiscussionEvent]:
        query = (
            _named(discussion_events)
            .where(discussion_events.c.repo_id == repo_id, discussion_events.c.num == num)
            .order_by(discussion_events.c.seq)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [_event_from(row) for row in rows]

    @retry_transient
    def update_discussion_event(self, event: DiscussionEvent) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(discussion_events)
                .where(
                    discussion_events.c.repo_id == event.repo_id,
                    discussion_events.c.num == event.num,
                    discussion_events.c.seq == event.seq,
                )
                .values(content=event.content, edited=event.edited, hidden=event.hidden)
            )
