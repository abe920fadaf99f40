"""``preupload`` and the NDJSON ``commit``: what the client sends to change files.

``preupload`` answers, per file, whether it travels inline (``regular``) or as an LFS object,
and the file's current ``oid`` so unchanged files are skipped. The commit is read line by line
as it arrives; each inline file is stored as its line completes, so the body is never held
whole, and the whole commit is then one atomic core commit.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import check_sha256, unknown_blob
from weighthouse.domain.commits import AddFile, DeleteFile, Operation
from weighthouse.domain.errors import EntryNotFoundError, InvalidInputError, TooLargeError
from weighthouse.domain.model import Commit, EntryKind, RepoId
from weighthouse.domain.names import check_path
from weighthouse.frontends.hf import wire
from weighthouse.frontends.hf.calls import PREFIXES, Call, json_response
from weighthouse.frontends.hf.discussions import discussion_url
from weighthouse.frontends.hf.pull_uploads import asks_for_pull_request, for_pull_request

PREUPLOAD_MAX = 1000
"""Most files one ``preupload`` call may ask about (the client sends at most 256)."""


async def preupload(call: Call) -> Response:
    """``POST .../preupload/{rev}``: ``uploadMode`` by path and size (see
    :func:`~weighthouse.frontends.hf.wire.upload_mode`) and the ``oid`` of the file already at
    that path, if any. Needs the right to commit here: to the branch, or with ``create_pr``
    to a new pull request (see :mod:`.pull_uploads`)."""
    caller = await call.caller()
    create_pr = asks_for_pull_request(call)
    repo_id = call.repo_id()
    body = await call.json_body()
    files = body.get("files")
    if not isinstance(files, list) or len(files) > PREUPLOAD_MAX:
        raise InvalidInputError(f"files must be a list of at most {PREUPLOAD_MAX} entries")
    wanted: list[tuple[str, int]] = []
    for item in files:
        path, size = (item.get("path"), item.get("size")) if isinstance(item, dict) else (0, 0)
        if not isinstance(path, str) or not isinstance(size, int) or size < 0:
            raise InvalidInputError("each file needs a path and a size")
        wanted.append((check_path(path), size))
    revision = call.params["rev"]

    def answer() -> list[dict[str, Any]]:
        # The access check the commit will make, before the client uploads anything.
        pr = for_pull_request(call.hub, caller, repo_id, revision, create_pr=create_pr)
        call.hub.commits.check_blobs(caller, repo_id, [], for_pull_request=pr)
        resolved = call.hub.revisions.resolve(caller, repo_id, revision)
        out = []
        for path, size in wanted:
            entry: dict[str, Any] = {
                "path": path,
                "uploadMode": wire.upload_mode(path, size),
                "shouldIgnore": False,
            }
            oid = _current_oid(call, caller, repo_id, resolved.commit.id, path)
            if oid is not None:
                entry["oid"] = oid
            out.append(entry)
        return out

    return json_response({"files": await run_in_threadpool(answer)})


def _current_oid(
    call: Call, caller: Principal, repo_id: RepoId, commit: str, path: str
) -> str | None:
    try:
        _, found = call.hub.files.entry(caller, repo_id, commit, path)
    except EntryNotFoundError:
        return None
    entry = found.entry
    if entry.kind is not EntryKind.FILE or entry.sha256 is None:
        return None
    return wire.etag(path, entry.sha256, entry.size, entry.git_sha1)


async def _lines(call: Call) -> AsyncIterator[bytes]:
    """The body's lines as they complete; at most one line is held at a time, and no line may
    be longer than ``max_commit_json_bytes`` (inline files are at most ``REGULAR_MAX``)."""
    limit = call.hub.settings.max_commit_json_bytes
    pending = bytearray()
    async for chunk in call.request.stream():
        start = len(pending)
        pending += chunk
        while (end := pending.find(b"\n", start)) >= 0:
            line = bytes(pending[:end])
            del pending[: end + 1]
            start = 0
            if line.strip():
                yield line
        if len(pending) > limit:
            raise TooLargeError(f"a commit line is longer than {limit} bytes")
    if pending.strip():
        yield bytes(pending)


def _parse(line: bytes) -> tuple[str, dict[str, Any]]:
    try:
        item = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("each commit line must be a JSON object") from None
    if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
        raise InvalidInputError('each commit line must be {"key": ..., "value": {...}}')
    return str(item.get("key")), item["value"]


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str):
        raise InvalidInputError(f"{key} must be a string")
    return found


async def commit(call: Call) -> Response:
    """``POST .../commit/{rev}`` (NDJSON): a header line, then ``file`` (inline base64),
    ``lfsFile`` (an uploaded object by SHA-256), ``deletedFile`` and ``deletedFolder`` lines,
    applied as one commit. With ``create_pr`` it opens a pull request against ``main`` (from
    ``parentCommit`` when given) and commits there; to ``refs/pr/<num>`` it adds to that pull
    request. Who may commit is checked before the body is read, so a refused caller's inline
    files are never stored."""
    caller = await call.caller()
    repo_id = call.repo_id()
    create_pr = asks_for_pull_request(call)
    revision = call.params["rev"]

    def may_commit() -> bool:
        pr = for_pull_request(call.hub, caller, repo_id, revision, create_pr=create_pr)
        call.hub.commits.check_blobs(caller, repo_id, [], for_pull_request=pr)
        return pr

    pr = await run_in_threadpool(may_commit)
    header: dict[str, Any] | None = None
    operations: list[Operation] = []
    async for line in _lines(call):
        key, value = _parse(line)
        if header is None:
            if key != "header":
                raise InvalidInputError("the first commit line must be the header")
            header = value
        elif key == "file":
            operations.append(await _inline_file(call, caller, repo_id, value, pr))
        elif key == "lfsFile":
            operations.append(await run_in_threadpool(_lfs_file, call, caller, repo_id, value))
        elif key in ("deletedFile", "deletedFolder"):
            operations.append(DeleteFile(_text(value, "path")))
        else:
            raise InvalidInputError(f"unknown commit line {key[:40]!r}")
    if header is None:
        raise InvalidInputError("the commit is empty")
    summary = header.get("summary") or "Commit"
    description = header.get("description") or ""
    parent = header.get("parentCommit")
    if not isinstance(summary, str) or not isinstance(description, str):
        raise InvalidInputError("summary and description must be strings")
    if parent is not None and not isinstance(parent, str):
        raise InvalidInputError("parentCommit must be a commit id")
    message = f"{summary}\n\n{description}" if description else summary
    discussions = call.hub.discussions

    def to_pull_request() -> tuple[Commit, int]:
        if create_pr:
            opened = discussions.open(
                caller,
                repo_id,
                title=summary,
                description=description,
                pull_request=True,
                draft=False,
                base_commit=parent,
            )
            num = opened.num
            parent_commit = None
        else:
            num = discussions.pull_request(caller, repo_id, revision).num
            parent_commit = parent
        made = discussions.commit(
            caller, repo_id, num, operations, message=message, parent_commit=parent_commit
        )
        return made, num

    pr_url = None
    if pr:
        result, num = await run_in_threadpool(to_pull_request)
        pr_url = discussion_url(call, repo_id, num)
    else:
        result = await run_in_threadpool(
            lambda: call.hub.commits.commit(
                caller, repo_id, revision, operations, message=message, parent_commit=parent
            )
        )
    url = f"{call.endpoint}/{PREFIXES[repo_id.type]}{repo_id}/commit/{result.id}"
    return json_response({"commitOid": result.id, "commitUrl": url, "pullRequestUrl": pr_url})


async def _inline_file(
    call: Call, caller: Principal, repo_id: RepoId, value: dict[str, Any], for_pr: bool
) -> AddFile:
    path = check_path(_text(value, "path"))
    if value.get("encoding", "base64") != "base64":
        raise InvalidInputError("inline files must be base64")
    try:
        content = base64.b64decode(_text(value, "content"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{path!r}: the content is not valid base64") from None
    digest = await run_in_threadpool(
        lambda: call.hub.commits.upload_blob(
            caller, repo_id, [content], size=len(content), for_pull_request=for_pr
        )
    )
    return AddFile(path, digest.sha256, digest.size, digest.git_sha1)


def _lfs_file(call: Call, caller: Principal, repo_id: RepoId, value: dict[str, Any]) -> AddFile:
    """An object uploaded before (LFS batch, or any upload this caller may reuse). A copy
    arrives without ``size``; the stored size is used, and proof is still required."""
    path = check_path(_text(value, "path"))
    if value.get("algo", "sha256") != "sha256":
        raise InvalidInputError("LFS objects are named by sha256")
    oid = check_sha256(_text(value, "oid").lower(), path)
    size = value.get("size")
    if size is None:
        size = call.hub.blob_proof.stored_size(oid)
        if size is None:
            # The same answer as for a stored object the caller may not use: no oracle.
            raise unknown_blob(oid, path)
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidInputError(f"{path!r}: size must be an integer")
    return AddFile(path, oid, size)
