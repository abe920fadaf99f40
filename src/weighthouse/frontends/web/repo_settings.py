"""A repo's settings: description and visibility, collaborators, and deletion (which asks for
the repo's full name typed back). Each change is the use case's decision: only repo admins
pass."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import Role
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.repo_pages import repo_id_of
from weighthouse.frontends.web.visitors import Visitor

ROLES = {role.value: role for role in Role}


def _signin(request: Request) -> Response:
    return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)


def repo_settings(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    collaborators = container.orgs.collaborators(visitor.principal, repo_id)
    context = {
        "title": f"Settings of {repo.full_name}",
        "repo": repo,
        "rev": "main",
        "collaborators": collaborators,
        "roles": list(ROLES),
    }
    return Page("repo_settings.html", context)


def _back(request: Request) -> Response:
    return RedirectResponse(urls.repo(repo_id_of(request), "settings"), status_code=303)


def update(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).repos.update(
        visitor.principal,
        repo_id_of(request),
        private=form.get("private") == "on",
        description=form.get("description", "").strip(),
    )
    return _back(request)


def add_collaborator(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    role = ROLES.get(form.get("role", ""))
    if role is None:
        raise InvalidInputError("choose read, write or admin")
    container_of(request).orgs.set_collaborator(
        visitor.principal, repo_id_of(request), form.get("user", "").strip(), role
    )
    return _back(request)


def remove_collaborator(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).orgs.remove_collaborator(
        visitor.principal, repo_id_of(request), request.path_params["user"]
    )
    return _back(request)


def delete(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    repo_id = repo_id_of(request)
    if form.get("confirm", "") != f"{repo_id.namespace}/{repo_id.name}":
        raise InvalidInputError("type the repository's full name to delete it")
    container_of(request).repos.delete(visitor.principal, repo_id)
    return RedirectResponse(urls.page(), status_code=303)
