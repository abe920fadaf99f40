"""Gated repos on the Hub API: repo settings and the access-request routes the client calls
(``update_repo_settings``, ``list_*_access_requests``, ``accept|reject|cancel_access_request``,
``grant_access``). A request's ``requestId`` is the requester's user name."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import AccessRequest, AccessRequestStatus, Gating
from weighthouse.frontends.hf.calls import Call, json_response
from weighthouse.frontends.hf.entries import iso
from weighthouse.frontends.hf.repos import visibility_private

_GATED = {False: Gating.OFF, "auto": Gating.AUTO, "manual": Gating.MANUAL}


def gated_value(gating: Gating) -> str | bool:
    """The Hub's spelling: ``false``, ``"auto"`` or ``"manual"``."""
    return False if gating is Gating.OFF else gating.value


def _status(value: Any) -> AccessRequestStatus:
    try:
        return AccessRequestStatus(value)
    except ValueError:
        raise InvalidInputError("status must be 'pending', 'accepted' or 'rejected'") from None


async def update_settings(call: Call) -> Response:
    """``PUT .../settings`` with ``gated`` (false, "auto", "manual") and/or ``visibility``
    (or ``private``); repo admins."""
    caller = await call.caller()
    body = await call.json_body()
    gated = None
    if "gated" in body:
        value = body["gated"]
        if not (value is False or value in ("auto", "manual")):
            raise InvalidInputError("gated must be false, 'auto' or 'manual'")
        gated = _GATED[value]
    private = visibility_private(body)
    if gated is None and private is None:
        raise InvalidInputError("nothing to change: send gated or visibility")
    await run_in_threadpool(
        call.hub.repos.update, caller, call.repo_id(), private=private, gated=gated
    )
    return json_response({})


def _shown(request: AccessRequest) -> dict[str, Any]:
    return {
        "user": {"user": request.user, "fullname": request.user},
        "requestId": request.user,
        "status": request.status.value,
        "timestamp": iso(request.created_at),
        "fields": {},
    }


async def list_requests(call: Call) -> Response:
    """``GET .../user-access-request/{status}``: one page, oldest first; repo admins."""
    caller = await call.caller()
    status = _status(call.params["status"])
    found = await run_in_threadpool(call.hub.access_requests.list, caller, call.repo_id(), status)
    return json_response([_shown(r) for r in found])


async def handle_request(call: Call) -> Response:
    """``POST .../user-access-request/handle`` with ``user`` or ``requestId``, ``status`` and
    an optional ``rejectionReason``; repo admins."""
    caller = await call.caller()
    body = await call.json_body()
    user = body.get("user", body.get("requestId"))
    if not isinstance(user, str):
        raise InvalidInputError("send the user (or requestId) whose request to handle")
    reason = body.get("rejectionReason") or ""
    if not isinstance(reason, str):
        raise InvalidInputError("rejectionReason must be text")
    await run_in_threadpool(
        call.hub.access_requests.decide,
        caller,
        call.repo_id(),
        user,
        _status(body.get("status")),
        reason,
    )
    return json_response({})


async def grant(call: Call) -> Response:
    """``POST .../user-access-request/grant`` with ``user``: 400 when the repo is not gated or
    the user already has access, 404 for an unknown user; repo admins."""
    caller = await call.caller()
    body = await call.json_body()
    user = body.get("user")
    if not isinstance(user, str):
        raise InvalidInputError("send the user to grant access to")
    await run_in_threadpool(call.hub.access_requests.grant, caller, call.repo_id(), user)
    return json_response({})
