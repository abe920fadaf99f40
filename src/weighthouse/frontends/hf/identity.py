"""``whoami-v2`` and the small calls every client run makes."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.model import Scope
from weighthouse.frontends.hf import cards
from weighthouse.frontends.hf.calls import Call, json_response


async def whoami(call: Call) -> Response:
    """``GET /api/whoami-v2``: the caller, their organisations and the credential's role.
    Anonymous callers get 401, which the client reports as an invalid token."""
    caller = await call.caller()
    if caller.user is None:
        raise AuthenticationError("send a token: Authorization: Bearer <token>")
    orgs = await run_in_threadpool(call.hub.orgs.list_orgs, caller, mine=True)
    user = caller.user
    return json_response(
        {
            "type": "user",
            "id": user.id,
            "name": user.name,
            "fullname": user.name,
            "isPro": False,
            "canPay": False,
            "orgs": [{"type": "org", "id": o.id, "name": o.name, "fullname": o.name} for o in orgs],
            "auth": {
                "type": "access_token",
                "accessToken": {
                    "displayName": caller.token_id or "session",
                    "role": "read" if caller.scope is Scope.READ else "write",
                },
            },
        }
    )


async def agent_harnesses(call: Call) -> Response:
    """Sent by 2.x clients on every CLI run; an empty answer the client caches for a day."""
    return json_response({"standardEnvVars": [], "harnesses": {}})


async def validate_yaml(call: Call) -> Response:
    """Called before every commit that adds ``README.md``: its front matter must be a YAML
    mapping without aliases (see :mod:`.cards`). The client reads the JSON before the status,
    so every answer is JSON."""
    body = await call.json_body()
    content = body.get("content")
    if not isinstance(content, str):
        return json_response({"errors": [{"message": "content must be a string"}]}, status=400)
    try:
        cards.front_matter(content)
    except cards.InvalidCardError as exc:
        return json_response({"errors": [{"message": str(exc)}], "warnings": []}, status=400)
    return json_response({"errors": [], "warnings": []})
