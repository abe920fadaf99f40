"""Organisations in the browser: the visitor's organisations and a form to found one, and an
organisation's page with its repos (those the visitor may see) and, for its members, its
members; its admins add and remove members and change their roles there.

Every decision is the organisations service's: an organisation is public by name, its members
are shown to members and site admins only, and only its admins change them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import (
    InvalidInputError,
    OrganizationNotFoundError,
    PermissionDeniedError,
)
from weighthouse.domain.model import Member, Role
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import Visitor

ROLES = {role.value: role for role in Role}
REPOS_SHOWN = 100


def _signin(request: Request) -> Response:
    return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)


def org_list(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    mine = container_of(request).orgs.list_orgs(visitor.principal, mine=True)
    return Page("orgs.html", {"title": "Organisations", "orgs": mine})


def create(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    org = container_of(request).orgs.create(
        visitor.principal,
        form.get("name", "").strip(),
        description=form.get("description", "").strip(),
    )
    return RedirectResponse(urls.page(f"orgs/{quote(org.name, safe='')}"), status_code=303)


def _members(request: Request, visitor: Visitor, name: str) -> list[Member] | None:
    """The members, or ``None`` when the visitor may not see them (not a member)."""
    if visitor.user is None:
        return None
    try:
        return container_of(request).orgs.members(visitor.principal, name)
    except (OrganizationNotFoundError, PermissionDeniedError):
        return None


def org_page(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    org = container.orgs.get(visitor.principal, request.path_params["name"])
    repos = container.repos.list(visitor.principal, namespace=org.name, limit=REPOS_SHOWN)
    members = _members(request, visitor, org.name)
    manages = False
    if visitor.user is not None and members is not None:
        mine = [m for m in members if m.user_id == visitor.user.id]
        manages = visitor.principal.is_admin or any(m.role is Role.ADMIN for m in mine)
    context: dict[str, Any] = {
        "title": org.name,
        "org": org,
        "repos": repos.items,
        "more_repos": repos.next_after is not None,
        "members": members,
        "manages": manages,
        "roles": list(ROLES),
    }
    return Page("org.html", context)


def _role(form: dict[str, str]) -> Role:
    role = ROLES.get(form.get("role", ""))
    if role is None:
        raise InvalidInputError("choose read, write or admin")
    return role


def _back(request: Request) -> Response:
    name = quote(request.path_params["name"], safe="")
    return RedirectResponse(urls.page(f"orgs/{name}"), status_code=303)


def set_member(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """Add a member, or change a member's role."""
    if visitor.user is None:
        return _signin(request)
    container_of(request).orgs.set_member(
        visitor.principal, request.path_params["name"], form.get("user", "").strip(), _role(form)
    )
    return _back(request)


def remove_member(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).orgs.remove_member(
        visitor.principal, request.path_params["name"], request.path_params["user"]
    )
    return _back(request)
