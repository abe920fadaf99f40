"""``GET /api/{kind}/{ns}/{name}/auth-check[/write]``: whether the caller may read a repo's
files, or change them, as ``huggingface_hub``'s ``auth_check`` asks before it downloads or
uploads anything.

The answer is the error a download or a commit would meet, in the Hub's shape: the client
turns ``RepoNotFound`` into ``RepositoryNotFoundError`` (a private repo it cannot see looks
missing) and ``GatedRepo`` into ``GatedRepoError``; a writer without the role gets 403 (401
without a token). A 200 says which of the two the caller may do.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.frontends.hf.calls import Call, json_response


async def read(call: Call) -> Response:
    return await _check(call, write=False)


async def write(call: Call) -> Response:
    return await _check(call, write=True)


async def _check(call: Call, *, write: bool) -> Response:
    caller = await call.caller()
    await run_in_threadpool(call.hub.files.check_access, caller, call.repo_id(), write=write)
    return json_response({"access": "write" if write else "read"})
