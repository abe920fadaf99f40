"""The front page: the repos the visitor may see, by kind and search, a page at a time; and
the form that creates a repo."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import ConflictError, InvalidInputError
from weighthouse.domain.model import RepoId, RepoOrder
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import Visitor

PAGE_SIZE = 30
ORDERS = (
    (RepoOrder.NAME.value, "Name"),
    (RepoOrder.UPDATED.value, "Recently updated"),
    (RepoOrder.SIZE.value, "Largest"),
)


def explore(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    query = request.query_params
    kind = query.get("kind", "")
    search = query.get("q", "").strip()
    cursor = query.get("cursor") or None
    repo_type = urls.KINDS.get(kind)
    try:
        order = RepoOrder(query.get("sort") or RepoOrder.NAME)
    except ValueError:
        raise InvalidInputError("sort by name, updated or size") from None
    found = container_of(request).repos.list(
        visitor.principal,
        type=repo_type,
        search=search or None,
        after=cursor,
        limit=PAGE_SIZE,
        order=order,
    )
    # The name order is the default and stays out of the links.
    sort = None if order is RepoOrder.NAME else order.value
    following = None
    if found.next_after is not None:
        following = urls.page(
            kind=kind or None, q=search or None, sort=sort, cursor=found.next_after
        )
    first = urls.page(kind=kind or None, q=search or None, sort=sort) if cursor else None
    context = {
        "title": "Explore",
        "repos": found.items,
        "kind": kind if repo_type else "",
        "q": search,
        "sort": order.value,
        "orders": ORDERS,
        "next_url": following,
        "first_url": first,
    }
    return Page("explore.html", context)


def new_repo_form(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return RedirectResponse(urls.page("signin", next=urls.page("new")), status_code=303)
    return Page("new_repo.html", {"title": "New repository", "values": {"kind": "models"}})


def new_repo(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return RedirectResponse(urls.page("signin", next=urls.page("new")), status_code=303)
    repo_type = urls.KINDS.get(form.get("kind", ""))
    namespace = form.get("namespace", "").strip() or visitor.user.name
    name = form.get("name", "").strip()
    try:
        if repo_type is None:
            raise InvalidInputError("choose a model, a dataset or a bucket")
        repo = container_of(request).repos.create(
            visitor.principal,
            RepoId(repo_type, namespace, name),
            private=form.get("private") == "on",
            description=form.get("description", "").strip(),
        )
    except (InvalidInputError, ConflictError) as exc:
        context = {"title": "New repository", "error": exc.message, "values": form}
        return Page("new_repo.html", context, status=409 if isinstance(exc, ConflictError) else 400)
    return RedirectResponse(urls.repo(repo), status_code=303)
