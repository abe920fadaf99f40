"""Routes for the files of models and datasets: trees, downloads, uploads and commits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from weighthouse import wire
from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobRef
from weighthouse.domain.commits import AddFile, DeleteFile, Operation
from weighthouse.frontends.downloads import blob_response
from weighthouse.frontends.rest import cursors, ref_segments, repo_kinds
from weighthouse.frontends.rest.dependencies import Caller, Wired, current_principal
from weighthouse.frontends.rest.json_bodies import CommitJsonLimitRoute
from weighthouse.frontends.rest.repos import Limit, repo_id
from weighthouse.frontends.rest.schemas import (
    AddOperation,
    BlobCheck,
    BlobCheckOut,
    BlobOut,
    BlobRefOut,
    CommitCreate,
    CommitOut,
    EntryOut,
    RepoKind,
    TreeOut,
    UploadOut,
)
from weighthouse.frontends.rest.uploads import RAW_BODY, declared_sha256, stream_into

# Registered on import, before the routes below.
assert repo_kinds.CONVERTOR == "repo_kind" and ref_segments.CONVERTOR == "ref"
router = APIRouter(prefix=wire.API_PREFIX, tags=["files"], route_class=CommitJsonLimitRoute)

_FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {wire.OCTET_STREAM: {}}, "description": "the file"},
    206: {"description": "one byte range of the file"},
    304: {"description": "not modified (If-None-Match)"},
    416: {"description": "the range lies outside the file"},
}


@router.get("/{kind:repo_kind}/{namespace}/{name}/tree/{revision:ref}", response_model=TreeOut)
@router.get(
    "/{kind:repo_kind}/{namespace}/{name}/tree/{revision:ref}/{path:path}", response_model=TreeOut
)
def list_tree(
    kind: RepoKind,
    namespace: str,
    name: str,
    revision: str,
    caller: Caller,
    hub: Wired,
    path: str = "",
    recursive: bool = False,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Limit = 100,
) -> TreeOut:
    """The files and folders at ``path`` in ``revision`` (a branch, tag, commit or ``latest``)."""
    resolved, listing = hub.files.list_tree(
        caller,
        repo_id(kind, namespace, name),
        revision,
        path,
        recursive=recursive,
        after=cursors.decode_text(cursor),
        limit=limit,
    )
    found = hub.findings.of_listing(listing)
    return TreeOut(
        commit=resolved.commit.id,
        entries=[EntryOut.of(e, found.get(e.path)) for e in listing.entries],
        next_cursor=cursors.encode(listing.next_after),
    )


_RESOLVE = "/{kind:repo_kind}/{namespace}/{name}/resolve/{revision:ref}/{path:path}"


# Two routes rather than one with two methods, so each gets its own OpenAPI operation id.
@router.get(_RESOLVE, responses=_FILE_RESPONSES, response_class=Response)
@router.head(_RESOLVE, responses=_FILE_RESPONSES, response_class=Response)
async def download(
    kind: RepoKind,
    namespace: str,
    name: str,
    revision: str,
    path: str,
    request: Request,
    caller: Annotated[Principal, Depends(current_principal)],
    hub: Wired,
) -> Response:
    """The file's bytes at ``revision`` (HEAD: its headers), with ranges and conditional
    requests."""
    resolved, found = await run_in_threadpool(
        hub.files.download, caller, repo_id(kind, namespace, name), revision, path
    )
    return blob_response(
        request,
        found,
        hub.files.reader,
        extra_headers={
            wire.REPO_COMMIT_HEADER: resolved.commit.id,
            wire.SHA256_HEADER: found.sha256,
        },
    )


@router.post(
    "/{kind:repo_kind}/{namespace}/{name}/blobs",
    response_model=BlobOut,
    status_code=201,
    openapi_extra=RAW_BODY,
)
async def upload_blob(
    kind: RepoKind, namespace: str, name: str, request: Request, caller: Caller, hub: Wired
) -> BlobOut:
    """Store a blob for a later commit; send its SHA-256 in ``X-Content-SHA256`` to have it
    checked."""
    sha256 = declared_sha256(request)
    digest = await stream_into(
        request,
        caller,
        lambda body, size: hub.commits.upload_blob(
            caller, repo_id(kind, namespace, name), body, size=size, sha256=sha256
        ),
    )
    return BlobOut(sha256=digest.sha256, size=digest.size, git_sha1=digest.git_sha1)


@router.post("/{kind:repo_kind}/{namespace}/{name}/blobs/check", response_model=BlobCheckOut)
def check_blobs(
    kind: RepoKind, namespace: str, name: str, body: BlobCheck, caller: Caller, hub: Wired
) -> BlobCheckOut:
    """Which of these blobs a commit here may add without uploading them: those you uploaded
    within the grace period, or that a repo or bucket you can read holds, stored with that
    size. All others are ``missing``, whether or not the server has them. Needs the ``write``
    role; each blob is listed once, in the order asked."""
    wanted = list(dict.fromkeys(BlobRef(b.sha256, b.size) for b in body.blobs))
    available = hub.commits.check_blobs(caller, repo_id(kind, namespace, name), wanted)
    return BlobCheckOut(
        available=[BlobRefOut.of(ref) for ref in wanted if ref in available],
        missing=[BlobRefOut.of(ref) for ref in wanted if ref not in available],
    )


@router.put(
    "/{kind:repo_kind}/{namespace}/{name}/upload/{revision:ref}/{path:path}",
    response_model=UploadOut,
    status_code=201,
    openapi_extra=RAW_BODY,
)
async def upload_file(
    kind: RepoKind,
    namespace: str,
    name: str,
    revision: str,
    path: str,
    request: Request,
    caller: Caller,
    hub: Wired,
    message: Annotated[str | None, Query(max_length=wire.COMMIT_MESSAGE_MAX)] = None,
    parent_commit: Annotated[str | None, Query(max_length=40)] = None,
) -> UploadOut:
    """Stream one file into the branch ``revision`` as a new commit."""
    sha256 = declared_sha256(request)
    commit, digest = await stream_into(
        request,
        caller,
        lambda body, size: hub.commits.upload_file(
            caller,
            repo_id(kind, namespace, name),
            revision,
            path,
            body,
            size=size,
            sha256=sha256,
            message=message,
            parent_commit=parent_commit,
        ),
    )
    return UploadOut(commit=CommitOut.of(commit), path=path, sha256=digest.sha256, size=digest.size)


@router.post(
    "/{kind:repo_kind}/{namespace}/{name}/commit/{revision:ref}",
    response_model=CommitOut,
    status_code=201,
)
def commit(
    kind: RepoKind,
    namespace: str,
    name: str,
    revision: str,
    body: CommitCreate,
    caller: Caller,
    hub: Wired,
) -> CommitOut:
    """Add and delete many files in one atomic commit. Added files name blobs uploaded before
    through ``POST .../blobs``."""
    operations: list[Operation] = [
        AddFile(op.path, op.sha256, op.size)
        if isinstance(op, AddOperation)
        else DeleteFile(op.path)
        for op in body.operations
    ]
    result = hub.commits.commit(
        caller,
        repo_id(kind, namespace, name),
        revision,
        operations,
        message=body.message,
        parent_commit=body.parent_commit,
    )
    return CommitOut.of(result)
