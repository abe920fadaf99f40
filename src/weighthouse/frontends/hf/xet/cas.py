"""The Xet routes: the write token the Hub API hands out, and the minimal CAS that ``hf_xet``
uploads to (mounted under ``/xet`` of the Hub front-end).

``hf_xet`` 1.8 asks ``GET /v1/chunks/{prefix}/{hash}`` for global deduplication (404: none
here), tries ``POST /v1/xorb-grants/...`` and ``POST /v2/shards`` first (404: no such route,
so it falls back to the calls below), then sends each xorb to ``POST /v1/xorbs/{prefix}/{hash}``
and the shard to ``POST /v1/shards``. CAS calls carry ``Authorization: Bearer <Xet token>``,
a short-lived signed token bound to the user, their credential and the repo, and to a pull
request's upload when asked for one (``?create_pr=1`` or a ``refs/pr/<num>`` revision, see
:mod:`~weighthouse.frontends.hf.pull_uploads`): then readers of the repo get one too.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.upload_tickets import UploadGrant
from weighthouse.frontends.hf.calls import Call, json_response
from weighthouse.frontends.hf.errors import error_response
from weighthouse.frontends.hf.pull_uploads import asks_for_pull_request, for_pull_request
from weighthouse.frontends.hf.xet import hashes, rebuild, shards, xorbs
from weighthouse.frontends.rest.uploads import stream_into

XORBS_PER_CORE = 2
"""Xorbs one server process reads and checks at once, per core it may use (the host app's
lifespan makes the limiter): decoding and hashing them keeps the cores busy, and each holds
up to about 1.5 MiB of its body meanwhile. ``hf_xet`` sends as many as the account's transfer
slots allow (16; 13 at once were seen against a slow server); the others wait with their
bodies unread."""
CAS_PREFIX = "xet"
"""Where the CAS routes live below the Hub endpoint."""
CAS_URL = "X-Xet-Cas-Url"
ACCESS_TOKEN = "X-Xet-Access-Token"  # noqa: S105 (a header name)
EXPIRATION = "X-Xet-Token-Expiration"


async def write_token(call: Call) -> Response:
    """``GET /api/{kind}/{ns}/{name}/xet-write-token/{rev}[?create_pr=1]``: for callers who
    may commit to ``rev`` (or, with ``create_pr``, open a pull request; the client then sends
    the revision ``None``), a token for the repo's CAS, in headers (read by
    ``huggingface_hub``) and in the body (read by ``hf_xet`` when it refreshes)."""
    caller = await call.caller()
    repo_id = call.repo_id()
    create_pr = asks_for_pull_request(call)
    revision = call.params["rev"]

    def issue() -> tuple[str, int]:
        pr = for_pull_request(call.hub, caller, repo_id, revision, create_pr=create_pr)
        call.hub.xorbs.authorize(caller, repo_id, for_pull_request=pr)
        return call.hub.upload_tickets.issue_xet(caller, repo_id, for_pull_request=pr)

    token, expires = await run_in_threadpool(issue)
    cas_url = f"{call.endpoint}/{CAS_PREFIX}"
    return json_response(
        {"accessToken": token, "exp": expires, "casUrl": cas_url},
        headers={CAS_URL: cas_url, ACCESS_TOKEN: token, EXPIRATION: str(expires)},
    )


async def _redeem(call: Call) -> UploadGrant:
    scheme, _, token = (call.request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the Xet token: Authorization: Bearer <token>")
    return await run_in_threadpool(call.hub.upload_tickets.redeem_xet, token.strip())


async def chunk(call: Call) -> Response:
    """No global deduplication: every chunk is unknown here."""
    await _redeem(call)
    hashes.from_hex(call.params["hash"])
    return error_response(404, "no global deduplication on this server")


async def upload_xorb(call: Call) -> Response:
    """The xorb's bytes stream into the blob store while every chunk is decoded and hashed;
    unless they hash to the name in the URL, nothing is stored (400)."""
    grant = await _redeem(call)
    name = call.params["hash"]
    expected = hashes.from_hex(name)
    inserted = await stream_into(
        call.request,
        grant.principal,
        lambda body, _size: call.hub.xorbs.store(
            grant.principal,
            grant.repo_id,
            name,
            xorbs.verified(body, expected),
            for_pull_request=grant.for_pull_request,
        ),
        # A few at a time (XORBS_PER_CORE).
        threads=getattr(call.request.app.state, "xorb_threads", None),
    )
    return json_response({"was_inserted": inserted})


async def upload_shard(call: Call) -> Response:
    """Each file the shard describes is rebuilt from the caller's xorbs and stored as a blob
    (see :mod:`.rebuild`) before the answer, so the commit that follows finds it."""
    grant = await _redeem(call)
    files = shards.parse(await call.body(limit=shards.MAX_SHARD))
    await run_in_threadpool(rebuild.ingest, call.hub, grant, files)
    # 1: "sync performed" (0 would say the shard was already known).
    return json_response({"result": 1})
