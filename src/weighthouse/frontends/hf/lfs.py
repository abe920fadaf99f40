"""The git-lfs batch API as ``huggingface_hub`` uses it without Xet: ``basic`` uploads, and
``multipart`` ones (see :mod:`.lfs_parts`) for objects larger than one part. Clients up to
1.19 that offer ``xet`` among the transfers get ``"transfer": "xet"`` and then upload
through the Xet CAS (see :mod:`.xet.cas`); later clients do that without asking.

The batch answer leaves out ``actions`` for objects the caller may already commit (stored,
and proven theirs, see :mod:`~weighthouse.domain.blob_proof`), so those bytes never travel
again. Every other object gets an upload URL carrying a signed ticket, because the client
sends no ``Authorization`` with the upload itself; the body streams into the blob store,
checked against the object's SHA-256 and size. ``verify`` then confirms the object is there.

A batch without ``ref`` is the upload of a new pull request's files, and one whose ``ref`` is
``refs/pr/<num>`` adds to that pull request: readers may send those (see
:mod:`.pull_uploads`), and the tickets and the verify URL handed out say so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.blob_proof import BlobRef, check_sha256
from weighthouse.domain.errors import AuthenticationError, InvalidInputError, RepoNotFoundError
from weighthouse.domain.model import RepoId
from weighthouse.domain.upload_tickets import UploadGrant
from weighthouse.frontends.hf.calls import KINDS, Call, json_response
from weighthouse.frontends.hf.pull_uploads import (
    CREATE_PR,
    asks_for_pull_request,
    for_pull_request,
)
from weighthouse.frontends.rest.uploads import stream_into

LFS_JSON = "application/vnd.git-lfs+json"
BATCH_MAX = 1000


def _lfs_repo(call: Call, plural: str) -> RepoId:
    """``{name}.git`` in the URL names the repo ``name``."""
    name = call.params["name"]
    full = f"{call.params['ns']}/{name}"
    if not name.endswith(".git"):
        raise RepoNotFoundError.named(full)
    return RepoId(KINDS[plural], call.params["ns"], name.removesuffix(".git"))


async def model_batch(call: Call) -> Response:
    return await _batch(call, _lfs_repo(call, "models"))


async def dataset_batch(call: Call) -> Response:
    return await _batch(call, _lfs_repo(call, "datasets"))


def _objects(body: dict[str, Any]) -> list[BlobRef]:
    objects = body.get("objects")
    if not isinstance(objects, list) or len(objects) > BATCH_MAX:
        raise InvalidInputError(f"objects must be a list of at most {BATCH_MAX} entries")
    refs = []
    for item in objects:
        oid = item.get("oid") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        if not isinstance(oid, str) or not isinstance(size, int) or not 0 <= size < 2**63:
            raise InvalidInputError("each object needs an oid and a size")
        refs.append(BlobRef(check_sha256(oid.lower()), size))
    return refs


def part_sizes(size: int, part_bytes: int) -> list[int]:
    """The sizes of a multipart upload's parts: ``part_bytes`` each, the last one shorter;
    ``ceil(size / part_bytes)`` of them, as the client checks."""
    count = -(-size // part_bytes)
    return [min(part_bytes, size - index * part_bytes) for index in range(count)]


def _parts_action(href: str, query: str, size: int, part_bytes: int) -> dict[str, Any]:
    """A ``multipart`` upload action: the client ``PUT``s part ``n`` to the URL under key
    ``"n"`` and then ``POST``s the parts' ETags to ``href``. Every URL carries the ticket."""
    parts = part_sizes(size, part_bytes)
    header = {"chunk_size": str(part_bytes)}
    header.update({str(n): f"{href}/part/{n}{query}" for n in range(1, len(parts) + 1)})
    return {"href": href + query, "header": header}


def _ref(body: dict[str, Any]) -> str | None:
    """The branch the objects are for, ``None`` when the body names none."""
    ref = body.get("ref")
    if ref is None:
        return None
    name = ref.get("name") if isinstance(ref, dict) else None
    if not isinstance(name, str):
        raise InvalidInputError('ref must be {"name": <branch>}')
    return name


async def _batch(call: Call, repo_id: RepoId) -> Response:
    caller = await call.caller()
    body = await call.json_body()
    if body.get("operation") != "upload":
        raise InvalidInputError("only uploads go through the batch API; download with /resolve")
    if caller.user is None:
        raise AuthenticationError("send a token: Authorization: Bearer <token>")
    wanted = list(dict.fromkeys(_objects(body)))
    ref = _ref(body)
    pr = await run_in_threadpool(
        lambda: for_pull_request(call.hub, caller, repo_id, ref, create_pr=ref is None)
    )
    transfers = body.get("transfers")
    part_bytes = call.hub.settings.hf.lfs_part_bytes
    in_parts = isinstance(transfers, list) and "multipart" in transfers
    if isinstance(transfers, list) and "xet" in transfers:
        # The client ignores actions with this answer: hf_xet uploads every object itself.
        await run_in_threadpool(
            lambda: call.hub.xorbs.authorize(caller, repo_id, for_pull_request=pr)
        )
        objects = [{"oid": ref.sha256, "size": ref.size} for ref in wanted]
        return json_response(
            {"transfer": "xet", "objects": objects, "hash_algo": "sha256"},
            headers={"Content-Type": LFS_JSON},
        )

    def plan() -> list[dict[str, Any]]:
        available = call.hub.commits.check_blobs(caller, repo_id, wanted, for_pull_request=pr)
        base = f"{call.endpoint}/api/lfs/{repo_id.type.value}s/{repo_id}"
        verify = f"{base}/verify" + (f"?{CREATE_PR}=1" if pr else "")
        out: list[dict[str, Any]] = []
        for blob in wanted:
            entry: dict[str, Any] = {"oid": blob.sha256, "size": blob.size}
            if blob not in available:
                ticket = call.hub.upload_tickets.issue(
                    caller, repo_id, blob.sha256, blob.size, for_pull_request=pr
                )
                href = f"{base}/{blob.sha256}/{blob.size}"
                query = f"?ticket={quote(ticket, safe='')}"
                entry["authenticated"] = True
                entry["actions"] = {
                    "upload": (
                        _parts_action(href, query, blob.size, part_bytes)
                        if in_parts and blob.size > part_bytes
                        else {"href": href + query, "header": {}}
                    ),
                    "verify": {"href": verify, "header": {}},
                }
            out.append(entry)
        return out

    objects = await run_in_threadpool(plan)
    transfer = "multipart" if in_parts and any(r.size > part_bytes for r in wanted) else "basic"
    return json_response(
        {"transfer": transfer, "objects": objects, "hash_algo": "sha256"},
        headers={"Content-Type": LFS_JSON},
    )


async def redeem(call: Call) -> tuple[UploadGrant, str, int]:
    """What an upload link's ticket allows (its caller, repo and purpose), and the SHA-256
    and size of the object the link (``.../{kind}/{ns}/{name}/{oid}/{size}...?ticket=…``) is
    for."""
    repo_id = call.repo_id()
    sha256 = check_sha256(call.params["oid"].lower())
    try:
        size = int(call.params["size"])
    except ValueError:
        raise InvalidInputError("size must be an integer") from None
    ticket = call.request.query_params.get("ticket", "")
    grant = await run_in_threadpool(call.hub.upload_tickets.redeem, ticket, repo_id, sha256, size)
    return grant, sha256, size


async def upload(call: Call) -> Response:
    """``PUT /api/lfs/{kind}/{ns}/{name}/{oid}/{size}?ticket=…``: the object's bytes."""
    grant, sha256, size = await redeem(call)
    await stream_into(
        call.request,
        grant.principal,
        lambda body, declared: call.hub.commits.upload_blob(
            grant.principal,
            grant.repo_id,
            body,
            size=size,
            sha256=sha256,
            for_pull_request=grant.for_pull_request,
        ),
    )
    return Response(status_code=200)


async def verify(call: Call) -> Response:
    """``POST /api/lfs/{kind}/{ns}/{name}/verify[?create_pr=1]`` (with the caller's
    credentials): 200 when the object is stored and the caller may commit it, else 404."""
    caller = await call.caller()
    repo_id = call.repo_id()
    refs = _objects({"objects": [await call.json_body()]})
    pr = asks_for_pull_request(call)
    available = await run_in_threadpool(
        lambda: call.hub.commits.check_blobs(caller, repo_id, refs, for_pull_request=pr)
    )
    if refs[0] not in available:
        return json_response({"message": "object not uploaded"}, status=404)
    return json_response({"message": "ok"}, headers={"Content-Type": LFS_JSON})
