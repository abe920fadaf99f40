"""``HEAD``/``GET /[datasets/]{ns}/{name}/resolve/{rev}/{path}``: the heart of every Hub
download (``/spaces/...`` answers that the Space does not exist).

Headers as the client reads them: ``X-Repo-Commit``; ``ETag`` the git blob id of a regular
file or the SHA-256 of an LFS file, which also gets ``X-Linked-Etag`` and ``X-Linked-Size``;
``Content-Length``; byte ranges. A missing file is ``EntryNotFound`` *with* ``X-Repo-Commit``,
so the client records that it does not exist at that commit and asks no more.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import EntryNotFoundError, RepoNotFoundError
from weighthouse.domain.model import RepoType
from weighthouse.frontends.downloads import blob_response
from weighthouse.frontends.hf import wire
from weighthouse.frontends.hf.calls import Call
from weighthouse.frontends.hf.errors import domain_error_response


async def model_file(call: Call) -> Response:
    return await _resolve(call, RepoType.MODEL)


async def dataset_file(call: Call) -> Response:
    return await _resolve(call, RepoType.DATASET)


async def space_file(call: Call) -> Response:
    """Spaces are not served here: every Space is missing, as ``RepoNotFound`` (on ``HEAD``
    too), so the client says so instead of blaming the network."""
    raise RepoNotFoundError.named(f"{call.params['ns']}/{call.params['name']}")


async def _resolve(call: Call, kind: RepoType) -> Response:
    caller = await call.caller()
    repo_id = call.repo_id(kind)
    files = call.hub.files
    resolved = await run_in_threadpool(
        call.hub.revisions.resolve, caller, repo_id, call.params["rev"]
    )
    commit = resolved.commit.id
    try:
        _, found = await run_in_threadpool(
            files.download, caller, repo_id, commit, call.params["path"]
        )
    except EntryNotFoundError as exc:
        return domain_error_response(exc, {wire.REPO_COMMIT: commit})
    path = call.params["path"]
    tag = wire.etag(path, found.sha256, found.size, found.git_sha1)
    headers = {wire.REPO_COMMIT: commit, "ETag": f'"{tag}"'}
    if wire.is_lfs(path, found.size, found.git_sha1):
        headers[wire.LINKED_ETAG] = f'"{found.sha256}"'
        headers[wire.LINKED_SIZE] = str(found.size)
    return blob_response(call.request, found, files.reader, extra_headers=headers)
