"""git-lfs ``multipart`` uploads, as ``huggingface_hub`` sends objects larger than one part.

The batch answer (:mod:`.lfs`) hands out one URL per part and a completion URL, each carrying
the object's signed ticket, because the client sends no ``Authorization`` with them. Each part
is stored as a blob of its own and recorded as the caller's upload; its ``ETag`` is its
SHA-256. The completion names the parts by those ETags, and the core streams them, in order,
into the object's blob, checking its SHA-256 and size (memory stays flat). The parts are then
unreferenced blobs that the garbage collector removes after its grace period.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.blob_proof import BlobRef, check_sha256
from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.hf.calls import Call, json_response
from weighthouse.frontends.hf.lfs import LFS_JSON, part_sizes, redeem
from weighthouse.frontends.rest.uploads import stream_into


def _part_number(call: Call, count: int) -> int:
    text = call.params["part"]
    if not text.isdigit() or not 1 <= int(text) <= count:
        raise InvalidInputError(f"part must be a number from 1 to {count}")
    return int(text)


async def upload_part(call: Call) -> Response:
    """``PUT .../{oid}/{size}/part/{n}?ticket=…``: part ``n``, exactly its size; answers the
    ``ETag`` the completion names it by."""
    grant, _, size = await redeem(call)
    sizes = part_sizes(size, call.hub.settings.hf.lfs_part_bytes)
    expected = sizes[_part_number(call, len(sizes)) - 1]
    digest = await stream_into(
        call.request,
        grant.principal,
        lambda body, declared: call.hub.commits.upload_blob(
            grant.principal,
            grant.repo_id,
            body,
            size=expected,
            for_pull_request=grant.for_pull_request,
        ),
    )
    return Response(status_code=200, headers={"ETag": f'"{digest.sha256}"'})


def _etag(value: Any, number: int) -> str:
    """A part's ETag as the client echoes it (quoted, perhaps weak) to its SHA-256."""
    if not isinstance(value, str):
        raise InvalidInputError(f"part {number} needs its etag")
    return check_sha256(value.removeprefix("W/").strip('"').lower())


def _parts(body: dict[str, Any], sha256: str, sizes: list[int]) -> list[BlobRef]:
    """The completion body's parts, numbered 1 to N in order, as blobs of their sizes."""
    if body.get("oid") != sha256:
        raise InvalidInputError("oid must be the object this link is for")
    parts = body.get("parts")
    if not isinstance(parts, list) or len(parts) != len(sizes):
        raise InvalidInputError(f"parts must list all {len(sizes)} parts")
    refs = []
    for number, (part, part_size) in enumerate(zip(parts, sizes, strict=True), start=1):
        if not isinstance(part, dict) or part.get("partNumber") != number:
            raise InvalidInputError(f"part {number} must come as partNumber {number}, in order")
        refs.append(BlobRef(_etag(part.get("etag"), number), part_size))
    return refs


async def complete(call: Call) -> Response:
    """``POST .../{oid}/{size}?ticket=…`` with ``{"oid", "parts": [{"partNumber", "etag"}]}``:
    assemble the object from its parts. A part the caller did not upload (or cannot read) is
    refused like a missing one; wrong bytes are a digest mismatch and nothing is stored."""
    grant, sha256, size = await redeem(call)
    sizes = part_sizes(size, call.hub.settings.hf.lfs_part_bytes)
    refs = _parts(await call.json_body(), sha256, sizes)
    await run_in_threadpool(
        lambda: call.hub.commits.assemble_blob(
            grant.principal,
            grant.repo_id,
            refs,
            size=size,
            sha256=sha256,
            for_pull_request=grant.for_pull_request,
        )
    )
    return json_response({"message": "ok"}, headers={"Content-Type": LFS_JSON})
