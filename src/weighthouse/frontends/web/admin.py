"""Site admin pages: the users (with disable and enable) and the audit log, newest first a
page at a time. The use cases refuse anyone but site admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import Visitor

AUDIT_PAGE = 100


def users(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    found = container_of(request).users.list(visitor.principal)
    return Page("admin_users.html", {"title": "Users", "users": found})


def set_disabled(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    wanted = form.get("disabled")
    if wanted not in ("true", "false"):
        raise InvalidInputError("say whether to disable the user")
    container_of(request).users.set_disabled(
        visitor.principal, request.path_params["name"], wanted == "true"
    )
    return RedirectResponse(urls.page("admin/users"), status_code=303)


def audit(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    before_text = request.query_params.get("before", "")
    if before_text and not before_text.isdigit():
        raise InvalidInputError("before is an event number")
    before = int(before_text) if before_text else None
    actor = request.query_params.get("actor") or None
    events = container_of(request).audit.list(
        visitor.principal, before=before, limit=AUDIT_PAGE, actor=actor
    )
    following = None
    if len(events) == AUDIT_PAGE and events[-1].id is not None:
        following = urls.page("admin/audit", before=events[-1].id, actor=actor)
    context = {"title": "Audit log", "events": events, "next_url": following, "actor": actor or ""}
    return Page("admin_audit.html", context)
