"""``GET /api/models`` and ``GET /api/datasets``: the repos a caller may see, as
``list_models`` / ``list_datasets`` (and ``hf models ls``) read them.

``author`` is the namespace, ``search`` a part of ``namespace/name``; pages follow
``Link: rel="next"``. Repos are listed by name. Downloads, likes and trending are all zero
here, so sorting by them is any order and is accepted; an order the catalog cannot give
(``lastModified``, ``createdAt``) and tag filters are refused with a 400 rather than answered
with a list in another order or unfiltered.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import InvalidInputError, NotFoundError
from weighthouse.domain.model import Repo, RepoId, RepoType
from weighthouse.domain.paging import MAX_PAGE
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import iso
from weighthouse.frontends.hf.gating import gated_value

DEFAULT_PAGE = 100
"""Repos per page when the client gives no ``limit``."""
SORTS_ACCEPTED = frozenset({"downloads", "likes", "trending_score", "trendingScore", "id"})
"""Orders that the name order satisfies: every repo ties on downloads, likes and trending."""
_FULL = frozenset({"sha", "lastModified"})
"""What ``full=true`` (or ``expand``) adds, from the head of ``main``."""


async def models(call: Call) -> Response:
    return await _list(call, RepoType.MODEL)


async def datasets(call: Call) -> Response:
    return await _list(call, RepoType.DATASET)


async def _list(call: Call, kind: RepoType) -> Response:
    caller = await call.caller()
    query = call.request.query_params
    if query.get("filter"):
        raise InvalidInputError("filtering by tag is not supported here; use author or search")
    sort = query.get("sort")
    if sort and sort not in SORTS_ACCEPTED:
        raise InvalidInputError(f"sort={sort} is not supported here; repos are listed by name")
    limit = _limit(query.get("limit"))
    cursor = query.get("cursor")
    if cursor is not None and len(cursor) > 2048:
        raise InvalidInputError("the cursor is too long")
    full = query.get("full", "").lower() in ("1", "true") or bool(
        _FULL & set(query.getlist("expand"))
    )
    page = await run_in_threadpool(
        call.hub.repos.list,
        caller,
        type=kind,
        namespace=query.get("author") or None,
        search=query.get("search") or None,
        after=cursor or None,
        limit=limit,
    )
    items = [_entry(repo) for repo in page.items]
    if full:
        await run_in_threadpool(_add_heads, call, caller, page.items, items)
    headers = {}
    if page.next_after is not None:
        headers["Link"] = next_link(call, cursor=page.next_after)
    return json_response(items, headers=headers)


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError("limit must be a whole number") from None
    # A client asking for more than a page gets a page and a Link to the next one.
    return max(1, min(value, MAX_PAGE))


def _entry(repo: Repo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": repo.id,
        "id": repo.full_name,
        "author": repo.namespace,
        "private": repo.private,
        "gated": gated_value(repo.gated),
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "trendingScore": 0,
        "tags": [],
        "createdAt": iso(repo.created_at),
        "description": repo.description,
    }
    if repo.type is RepoType.MODEL:
        out["modelId"] = repo.full_name
    return out


def _add_heads(
    call: Call, caller: Principal, repos: tuple[Repo, ...], items: list[dict[str, Any]]
) -> None:
    """Each repo's ``sha`` and ``lastModified``: the head of ``main``, when it has one."""
    for repo, item in zip(repos, items, strict=True):
        repo_id = RepoId(repo.type, repo.namespace, repo.name)
        try:
            resolved = call.hub.revisions.resolve(caller, repo_id, "main")
        except NotFoundError:
            continue
        item["sha"] = resolved.commit.id
        item["lastModified"] = iso(resolved.commit.created_at)
