"""Routes for a repo's discussions and pull requests: list and read them (the Hub API at
``/hf`` has the rest, on the same use cases)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from weighthouse import wire
from weighthouse.domain.discussions import Details
from weighthouse.domain.discussions_model import (
    Discussion,
    DiscussionEvent,
    DiscussionStatus,
    EventKind,
)
from weighthouse.frontends.rest import repo_kinds
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.repos import Limit, repo_id
from weighthouse.frontends.rest.schemas import RepoKind

assert repo_kinds.CONVERTOR == "repo_kind"  # registered on import, before the routes below
router = APIRouter(prefix=wire.API_PREFIX, tags=["discussions"], route_class=JsonLimitRoute)
_DISCUSSIONS = "/{kind:repo_kind}/{namespace}/{name}/discussions"


class DiscussionOut(BaseModel):
    num: int
    title: str
    author: str
    status: DiscussionStatus
    is_pull_request: bool
    created_at: datetime
    ref: str | None
    """A pull request's branch, ``refs/pr/<num>``: a revision like any other."""
    target_branch: str | None
    merge_commit: str | None

    @classmethod
    def of(cls, discussion: Discussion) -> DiscussionOut:
        return cls(
            num=discussion.num,
            title=discussion.title,
            author=discussion.author,
            status=discussion.status,
            is_pull_request=discussion.is_pull_request,
            created_at=discussion.created_at,
            ref=discussion.ref,
            target_branch=discussion.target_branch,
            merge_commit=discussion.merge_commit,
        )


class DiscussionEventOut(BaseModel):
    seq: int
    kind: EventKind
    author: str
    content: str
    """A comment's text, the new status or title, or a commit's ``<id> <title>``."""
    old: str
    edited: bool
    created_at: datetime

    @classmethod
    def of(cls, event: DiscussionEvent) -> DiscussionEventOut:
        return cls(
            seq=event.seq,
            kind=event.kind,
            author=event.author,
            content=event.content,
            old=event.old,
            edited=event.edited,
            created_at=event.created_at,
        )


class DiscussionPage(BaseModel):
    items: list[DiscussionOut]
    total: int


class DiscussionDetails(DiscussionOut):
    events: list[DiscussionEventOut]
    conflicts: list[str]
    """Files an open pull request and its target branch both changed since it started."""

    @classmethod
    def of_details(cls, details: Details) -> DiscussionDetails:
        return cls(
            **DiscussionOut.of(details.discussion).model_dump(),
            events=[DiscussionEventOut.of(e) for e in details.events],
            conflicts=list(details.conflicts),
        )


_KINDS = {"all": None, "discussion": False, "pull_request": True}


@router.get(_DISCUSSIONS, response_model=DiscussionPage)
def list_discussions(
    kind: RepoKind,
    namespace: str,
    name: str,
    caller: Caller,
    hub: Wired,
    type: Literal["all", "discussion", "pull_request"] = "all",
    status: DiscussionStatus | None = None,
    author: Annotated[str | None, Query(max_length=96)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Limit = 50,
) -> DiscussionPage:
    """The repo's discussions and pull requests, newest first, and how many match."""
    found, total = hub.discussions.list_discussions(
        caller,
        repo_id(kind, namespace, name),
        pull_requests=_KINDS[type],
        status=status,
        author=author,
        offset=offset,
        limit=limit,
    )
    return DiscussionPage(items=[DiscussionOut.of(d) for d in found], total=total)


@router.get(_DISCUSSIONS + "/{num}", response_model=DiscussionDetails)
def get_discussion(
    kind: RepoKind,
    namespace: str,
    name: str,
    num: int,
    caller: Caller,
    hub: Wired,
) -> DiscussionDetails:
    """One discussion or pull request with its events, and a pull request's conflicts."""
    details = hub.discussions.get(caller, repo_id(kind, namespace, name), num)
    return DiscussionDetails.of_details(details)
