"""Discussions and pull requests of a repo, as the Hub has them.

A discussion is numbered within its repo (1, 2, ...) and holds a list of events: comments,
status changes, title changes and, for a pull request, the commits pushed to it. A pull
request is a discussion plus a branch, ``refs/pr/<num>``, made from its target branch; its
changes are those of that branch since the commit it started from (``base_commit``), and
merging them is a commit onto the target branch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

PR_REF_PREFIX = "refs/pr/"
"""Pull request branches are ``refs/pr/<num>``: names users cannot give a branch of their own,
since ``refs/`` is refused in branch names."""


def pr_ref(num: int) -> str:
    return f"{PR_REF_PREFIX}{num}"


class DiscussionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"
    DRAFT = "draft"


class EventKind(enum.StrEnum):
    """The Hub's event types, as ``get_discussion_details`` reads them."""

    COMMENT = "comment"
    STATUS_CHANGE = "status-change"
    TITLE_CHANGE = "title-change"
    COMMIT = "commit"


@dataclass(frozen=True)
class Discussion:
    """``author`` is the author's user name as read back (it follows renames);
    ``target_branch``, ``base_commit`` and ``merge_commit`` are set only on pull requests."""

    repo_id: str
    num: int
    title: str
    author_id: str
    status: DiscussionStatus
    is_pull_request: bool
    created_at: datetime
    author: str = ""
    target_branch: str | None = None
    base_commit: str | None = None
    merge_commit: str | None = None

    @property
    def ref(self) -> str | None:
        return pr_ref(self.num) if self.is_pull_request else None


@dataclass(frozen=True)
class DiscussionEvent:
    """One event of a discussion, numbered from 1 within it. ``content`` is a comment's text,
    the new status, the new title, or a commit's id and title (``<id> <title>``); ``old`` is
    the previous title of a title change. ``edited`` marks a comment changed since posted."""

    repo_id: str
    num: int
    seq: int
    kind: EventKind
    author_id: str
    content: str
    created_at: datetime
    author: str = ""
    old: str = ""
    edited: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class DiscussionQuery:
    repo_id: str
    is_pull_request: bool | None = None
    status: DiscussionStatus | None = None
    author_id: str | None = None
    offset: int = 0
    limit: int = 50
