"""Discussions and pull requests in the in-memory catalog."""

from __future__ import annotations

from dataclasses import replace

from weighthouse.domain.discussions_model import Discussion, DiscussionEvent, DiscussionQuery
from weighthouse.domain.errors import NotFoundError, RepoNotFoundError
from weighthouse.metadata.memory.tables import MemoryTables, in_utc


class MemoryDiscussions(MemoryTables):
    def add_discussion(self, discussion: Discussion, first: DiscussionEvent | None) -> int:
        with self._lock:
            tables = self._tables
            if discussion.repo_id not in tables.repos:
                raise RepoNotFoundError(f"no repo with id {discussion.repo_id!r}")
            num = 1 + max((n for r, n in tables.discussions if r == discussion.repo_id), default=0)
            tables.discussions[discussion.repo_id, num] = in_utc(
                replace(discussion, num=num, author="")
            )
            if first is not None:
                tables.discussion_events[discussion.repo_id, num, 1] = in_utc(
                    replace(first, num=num, seq=1, author="")
                )
            return num

    def get_discussion(self, repo_id: str, num: int) -> Discussion:
        with self._lock:
            found = self._tables.discussions.get((repo_id, num))
            if found is None:
                raise NotFoundError(f"no discussion #{num} in this repo", num=num)
            return self._named_discussion(found)

    def list_discussions(self, query: DiscussionQuery) -> tuple[list[Discussion], int]:
        with self._lock:
            matching = [
                d
                for (repo, _), d in self._tables.discussions.items()
                if repo == query.repo_id
                and (query.is_pull_request is None or d.is_pull_request == query.is_pull_request)
                and (query.status is None or d.status is query.status)
                and (query.author_id is None or d.author_id == query.author_id)
            ]
            matching.sort(key=lambda d: -d.num)
            page = matching[query.offset : query.offset + query.limit]
            return [self._named_discussion(d) for d in page], len(matching)

    def update_discussion(self, discussion: Discussion) -> None:
        with self._lock:
            key = (discussion.repo_id, discussion.num)
            stored = self._tables.discussions.get(key)
            if stored is not None:
                self._tables.discussions[key] = replace(
                    stored,
                    title=discussion.title,
                    status=discussion.status,
                    merge_commit=discussion.merge_commit,
                )

    def add_discussion_event(self, event: DiscussionEvent) -> int:
        with self._lock:
            self.get_discussion(event.repo_id, event.num)
            events = self._tables.discussion_events
            seq = 1 + max(
                (s for r, n, s in events if r == event.repo_id and n == event.num), default=0
            )
            events[event.repo_id, event.num, seq] = in_utc(replace(event, seq=seq, author=""))
            return seq

    def discussion_events(self, repo_id: str, num: int) -> list[DiscussionEvent]:
        with self._lock:
            found = [
                self._named_event(e)
                for (r, n, _), e in self._tables.discussion_events.items()
                if r == repo_id and n == num
            ]
        found.sort(key=lambda e: e.seq)
        return found

    def update_discussion_event(self, event: DiscussionEvent) -> None:
        with self._lock:
            key = (event.repo_id, event.num, event.seq)
            stored = self._tables.discussion_events.get(key)
            if stored is not None:
                self._tables.discussion_events[key] = replace(
                    stored, content=event.content, edited=event.edited, hidden=event.hidden
                )

    def _named_discussion(self, discussion: Discussion) -> Discussion:
        return replace(discussion, author=self._tables.users[discussion.author_id].name)

    def _named_event(self, event: DiscussionEvent) -> DiscussionEvent:
        return replace(event, author=self._tables.users[event.author_id].name)
