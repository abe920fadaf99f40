"""``GET /api/{kind}/{ns}/{name}/lfs-files``: the LFS files a repo's history holds, as
``list_lfs_files`` reads them, and ``POST .../lfs-files/batch``, refused.

Each content is listed once, under the path and commit where it first appeared and a branch
or tag that reaches it (``pushedAt`` is that commit's time); a file counts as LFS as preupload
would send it (:func:`~weighthouse.frontends.hf.wire.is_lfs`). Pages of :data:`PAGE` by
SHA-256, linked with ``Link: rel="next"``.

``permanently_delete_lfs_files`` is refused with a 400, as ``super_squash_history`` is: here
every commit stays readable, so no file of its history can be taken out from under it.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.files import FirstAppearance
from weighthouse.domain.model import PathEntry
from weighthouse.frontends.hf import wire
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import iso

PAGE = 1000


def _lfs(item: PathEntry) -> bool:
    entry = item.entry
    assert entry.sha256 is not None
    return wire.is_lfs(item.path, entry.size, entry.git_sha1)


async def list_files(call: Call) -> Response:
    caller = await call.caller()
    cursor = call.request.query_params.get("cursor") or ""
    if len(cursor) > 64:
        raise InvalidInputError("the cursor is too long")
    found = await run_in_threadpool(call.hub.files.first_appearances, caller, call.repo_id(), _lfs)
    rest = [item for item in found if _sha256(item) > cursor]
    page = rest[:PAGE]
    headers = {}
    if len(rest) > PAGE:
        headers["Link"] = next_link(call, cursor=_sha256(page[-1]))
    return json_response([_entry(item) for item in page], headers=headers)


def _sha256(item: FirstAppearance) -> str:
    return item.file.entry.sha256 or ""


def _entry(item: FirstAppearance) -> dict[str, Any]:
    entry = item.file.entry
    return {
        "fileOid": entry.sha256,
        "oid": entry.sha256,
        "filename": item.file.path,
        "pushedAt": iso(item.commit.created_at),
        "ref": item.ref,
        "size": entry.size,
    }


async def delete_files(call: Call) -> Response:
    caller = await call.caller()
    await run_in_threadpool(call.hub.files.check_access, caller, call.repo_id(), write=True)
    raise InvalidInputError(
        "permanently deleting LFS files is not supported: Weighthouse keeps every commit of a"
        " repo readable"
    )
