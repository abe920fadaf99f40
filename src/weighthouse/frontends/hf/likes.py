"""Likes on the Hub API: ``POST`` and ``DELETE .../like`` (how the Hub's pages like a repo;
``huggingface_hub`` calls the second one ``unlike``), ``list_repo_likers`` and
``list_liked_repos``, each paged with a ``Link`` header the client follows. Repo info's
``likes`` comes from the same place (:mod:`.info`). The rules are the domain's
(:mod:`weighthouse.domain.likes`)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.likes_catalog import Like
from weighthouse.domain.model import RepoType
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import iso

PAGE = 100
"""Likes per page."""
OFFSET_MAX = 10_000_000
_TYPES = {RepoType.MODEL: "model", RepoType.DATASET: "dataset"}


async def like(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    count = await run_in_threadpool(call.hub.likes.like, caller, repo_id)
    return json_response({"likes": count})


async def unlike(call: Call) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id()
    count = await run_in_threadpool(call.hub.likes.unlike, caller, repo_id)
    return json_response({"likes": count})


async def likers(call: Call) -> Response:
    """``GET .../likers``: who likes the repo, first likes first."""
    caller = await call.caller()
    repo_id = call.repo_id()
    offset = _offset(call)
    found = await run_in_threadpool(
        lambda: call.hub.likes.likers(caller, repo_id, offset=offset, limit=PAGE)
    )
    users = [{"user": f.user, "fullname": f.user, "avatarUrl": "", "type": "user"} for f in found]
    return json_response(users, headers=_next(call, offset, len(found) == PAGE))


async def liked_repos(call: Call) -> Response:
    """``GET /api/users/{user}/likes``: the user's likes, newest first, of the repos the
    caller can see."""
    caller = await call.caller()
    offset = _offset(call)
    found, more = await run_in_threadpool(
        lambda: call.hub.likes.liked_by(caller, call.params["user"], offset=offset, limit=PAGE)
    )
    items = [_liked(f) for f in found if f.repo.type in _TYPES]
    return json_response(items, headers=_next(call, offset, more))


def _liked(found: Like) -> dict[str, Any]:
    return {
        "createdAt": iso(found.at),
        "repo": {"name": found.repo.full_name, "type": _TYPES[found.repo.type]},
    }


def _offset(call: Call) -> int:
    raw = call.request.query_params.get("offset", "0")
    if not raw.isdigit() or int(raw) > OFFSET_MAX:
        raise InvalidInputError(f"offset must be a whole number up to {OFFSET_MAX}")
    return int(raw)


def _next(call: Call, offset: int, more: bool) -> dict[str, str] | None:
    return {"Link": next_link(call, offset=str(offset + PAGE))} if more else None
