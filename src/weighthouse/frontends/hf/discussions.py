"""Discussions and pull requests on the Hub API: ``get_repo_discussions``,
``get_discussion_details``, ``create_discussion`` / ``create_pull_request``,
``comment_discussion``, ``edit_discussion_comment``, ``hide_discussion_comment``,
``rename_discussion``,
``change_discussion_status`` and ``merge_pull_request``, in the shapes ``huggingface_hub``
parses. The rules are the domain's (:mod:`weighthouse.domain.discussions`).

Event ids are the event's number within its discussion as 24 hex digits, the length of the
Hub's own ids; the client lower-cases them in URLs, which hex survives.
"""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.discussions import Details
from weighthouse.domain.discussions_model import (
    Discussion,
    DiscussionEvent,
    DiscussionStatus,
    EventKind,
)
from weighthouse.domain.errors import InvalidInputError, NotFoundError
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.frontends.hf.calls import PREFIXES, Call, json_response
from weighthouse.frontends.hf.entries import iso

PAGE = 50
"""Discussions per page, as the Hub pages them."""
_KINDS = {"all": None, "discussion": False, "pull_request": True}
_TYPES = {RepoType.MODEL: "model", RepoType.DATASET: "dataset"}


def discussion_url(call: Call, repo_id: RepoId, num: int) -> str:
    """What the client parses a pull request's number and ``refs/pr/<num>`` from."""
    return f"{call.endpoint}/{PREFIXES[repo_id.type]}{repo_id}/discussions/{num}"


async def list_discussions(call: Call) -> Response:
    """``GET .../discussions?p=&type=&status=&author=``: a page, newest first, with the
    ``count`` and ``start`` the client pages by."""
    caller = await call.caller()
    repo_id = call.repo_id()
    query = call.request.query_params
    kind = query.get("type", "all")
    if kind not in _KINDS:
        raise InvalidInputError("type must be 'all', 'discussion' or 'pull_request'")
    status_value = query.get("status", "all")
    status = None if status_value == "all" else _status(status_value)
    try:
        page = int(query.get("p", "0"))
    except ValueError:
        raise InvalidInputError("p must be a page number") from None
    if not 0 <= page <= 100_000:
        raise InvalidInputError("p must be a page number")
    found, total = await run_in_threadpool(
        lambda: call.hub.discussions.list_discussions(
            caller,
            repo_id,
            pull_requests=_KINDS[kind],
            status=status,
            author=query.get("author") or None,
            offset=page * PAGE,
            limit=PAGE,
        )
    )
    return json_response(
        {
            "discussions": [_discussion(repo_id, d) for d in found],
            "count": total,
            "start": page * PAGE,
            "numClosedDiscussions": 0,
        }
    )


async def create_discussion(call: Call) -> Response:
    """``POST .../discussions`` ``{title, description, pullRequest}``: a discussion, or a draft
    pull request whose branch ``refs/pr/<num>`` starts at the head of ``main``."""
    caller = await call.caller()
    repo_id = call.repo_id()
    body = await call.json_body()
    title, description = body.get("title"), body.get("description", "")
    pull_request = body.get("pullRequest", False)
    if not isinstance(title, str) or not isinstance(description, str):
        raise InvalidInputError("title and description must be strings")
    if not isinstance(pull_request, bool):
        raise InvalidInputError("pullRequest must be true or false")
    opened = await run_in_threadpool(
        lambda: call.hub.discussions.open(
            caller, repo_id, title=title, description=description, pull_request=pull_request
        )
    )
    return json_response(
        {
            "num": opened.num,
            "url": discussion_url(call, repo_id, opened.num),
            "pullRequest": opened.is_pull_request,
        }
    )


async def discussion_details(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    details = await run_in_threadpool(
        call.hub.discussions.get, caller, repo_id, _num(call.params["num"])
    )
    return json_response(_details(repo_id, details))


async def comment(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    text = _field(await call.json_body(), "comment")
    event = await run_in_threadpool(
        call.hub.discussions.comment, caller, repo_id, _num(call.params["num"]), text
    )
    return json_response({"newMessage": _event(event)})


async def edit_comment(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    text = _field(await call.json_body(), "content")
    event = await run_in_threadpool(
        call.hub.discussions.edit_comment,
        caller,
        repo_id,
        _num(call.params["num"]),
        _event_seq(call.params["event"]),
        text,
    )
    return json_response({"updatedComment": _event(event)})


async def hide_comment(call: Call) -> Response:
    """``POST .../discussions/{num}/comment/{event}/hide``: the comment's author or a repo
    writer hides it for good; its text is gone."""
    caller = await call.caller()
    repo_id = call.repo_id()
    event = await run_in_threadpool(
        call.hub.discussions.hide_comment,
        caller,
        repo_id,
        _num(call.params["num"]),
        _event_seq(call.params["event"]),
    )
    return json_response({"updatedComment": _event(event)})


async def rename(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    title = _field(await call.json_body(), "title")
    event = await run_in_threadpool(
        call.hub.discussions.rename, caller, repo_id, _num(call.params["num"]), title
    )
    return json_response({"newTitle": _event(event)})


async def change_status(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    body = await call.json_body()
    status = _status(_field(body, "status"))
    note = body.get("comment", "")
    if not isinstance(note, str):
        raise InvalidInputError("comment must be a string")
    event = await run_in_threadpool(
        call.hub.discussions.change_status,
        caller,
        repo_id,
        _num(call.params["num"]),
        status,
        note,
    )
    return json_response({"newStatus": _event(event)})


async def merge(call: Call) -> Response:
    """``POST .../discussions/{num}/merge``: only writers; a conflict is a 412 whose message
    names the files."""
    caller = await call.caller()
    repo_id = call.repo_id()
    raw = await call.body()
    note = ""
    if raw.strip() and raw.strip() != b"null":
        note = _json_of(raw).get("comment", "")
        if not isinstance(note, str):
            raise InvalidInputError("comment must be a string")
    merged = await run_in_threadpool(
        call.hub.discussions.merge, caller, repo_id, _num(call.params["num"]), note
    )
    return json_response({"num": merged.num, "mergeCommitId": merged.merge_commit})


def _json_of(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInputError("the body must be a JSON object")
    return value


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a string")
    return value


def _num(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise NotFoundError(f"no discussion {raw[:20]!r}")
    return int(raw)


def _event_seq(raw: str) -> int:
    try:
        value = int(raw, 16)
    except ValueError:
        raise NotFoundError(f"no comment {raw[:30]!r}") from None
    if not 1 <= value <= 2**31 - 1:
        raise NotFoundError(f"no comment {raw[:30]!r}")
    return value


def _status(value: str) -> DiscussionStatus:
    try:
        return DiscussionStatus(value)
    except ValueError:
        raise InvalidInputError("status must be 'open', 'closed', 'merged' or 'draft'") from None


def _discussion(repo_id: RepoId, discussion: Discussion) -> dict[str, Any]:
    return {
        "num": discussion.num,
        "title": discussion.title,
        "status": discussion.status.value,
        "isPullRequest": discussion.is_pull_request,
        "createdAt": iso(discussion.created_at),
        "author": {"name": discussion.author, "type": "user"},
        "repo": {"name": str(repo_id), "type": _TYPES[repo_id.type]},
        "pinned": False,
        "topReactions": [],
    }


def _details(repo_id: RepoId, details: Details) -> dict[str, Any]:
    discussion = details.discussion
    out = _discussion(repo_id, discussion)
    out["events"] = [_event(e) for e in details.events]
    if discussion.is_pull_request:
        out["changes"] = {"base": discussion.target_branch}
        if discussion.merge_commit is not None:
            out["changes"]["mergeCommitId"] = discussion.merge_commit
        out["filesWithConflicts"] = list(details.conflicts)
        out["diff"] = None
    return out


def _event(event: DiscussionEvent) -> dict[str, Any]:
    author = {"name": event.author, "type": "user"}
    data: dict[str, Any]
    if event.kind is EventKind.COMMENT:
        data = {
            "edited": event.edited,
            "hidden": event.hidden,
            "numEdits": int(event.edited),
            "editors": [event.author] if event.edited else [],
            "history": [],
            "latest": {
                "raw": event.content,
                "html": f"<p>{html.escape(event.content)}</p>",
                "updatedAt": iso(event.created_at),
                "author": author,
            },
        }
    elif event.kind is EventKind.STATUS_CHANGE:
        data = {"status": event.content}
    elif event.kind is EventKind.TITLE_CHANGE:
        data = {"from": event.old, "to": event.content}
    else:
        oid, _, subject = event.content.partition(" ")
        data = {"oid": oid, "subject": subject}
    return {
        "id": f"{event.seq:024x}",
        "type": event.kind.value,
        "createdAt": iso(event.created_at),
        "author": author,
        "data": data,
    }
