"""``GET /api/settings/repositories`` and ``GET /api/organizations/{org}/settings/repositories``:
a namespace's repos with the storage each uses, as ``list_user_repos`` and ``hf repos ls`` read
them.

Every repo type is listed (models, datasets and buckets), by name, paged with
``Link: rel="next"``; only repos the caller may see, so an organisation's listing shows an
outsider its public repos alone. ``storage`` is the bytes of the files at the head of ``main``
(of every object, for a bucket), as the repo's ``size`` everywhere else. No
``storagePercent``: no quota is kept here to take a share of (the client reads 0).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import AuthenticationError, InvalidInputError
from weighthouse.domain.model import Repo
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import iso

PAGE = 100


async def mine(call: Call) -> Response:
    caller = await call.caller()
    if caller.user is None:
        raise AuthenticationError("send a token: Authorization: Bearer <token>")
    return await _list(call, caller.user.name)


async def organization(call: Call) -> Response:
    return await _list(call, call.params["org"])


async def _list(call: Call, namespace: str) -> Response:
    caller = await call.caller()
    cursor = call.request.query_params.get("cursor")
    if cursor is not None and len(cursor) > 2048:
        raise InvalidInputError("the cursor is too long")
    page = await run_in_threadpool(
        call.hub.repos.list, caller, namespace=namespace, after=cursor or None, limit=PAGE
    )
    items = [_entry(repo) for repo in page.items]
    headers = {}
    if page.next_after is not None:
        headers["Link"] = next_link(call, cursor=page.next_after)
    return json_response(items, headers=headers)


def _entry(repo: Repo) -> dict[str, Any]:
    return {
        "id": repo.full_name,
        "type": repo.type.value,
        "updatedAt": iso(repo.updated_at or repo.created_at),
        "visibility": "private" if repo.private else "public",
        "storage": repo.size,
    }
