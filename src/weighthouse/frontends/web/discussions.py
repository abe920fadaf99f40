"""A repo's discussions and pull requests: the list, one thread with its events, opening a
discussion, commenting, closing or reopening, and merging a pull request.

Every action is the discussions use case's decision (:mod:`weighthouse.domain.discussions`),
as the Hub API's: anyone who may read the repo reads and talks, only its writers merge, and a
private repo the visitor may not see is missing. Comments show as plain text: nothing a
commenter writes becomes markup.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.discussions_model import DiscussionStatus
from weighthouse.domain.errors import InvalidInputError, NotFoundError
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.repo_pages import repo_id_of
from weighthouse.frontends.web.visitors import Visitor

PAGE_SIZE = 30
STATUSES = {status.value: status for status in DiscussionStatus}
KINDS = {"pulls": True, "discussions": False}
# Discussion numbers are positive and fit the catalog's integer column.
NUMBER_MAX = 2**31 - 1


def _signin(request: Request) -> Response:
    return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)


def _num(request: Request) -> int:
    raw = request.path_params["num"]
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= NUMBER_MAX:
        raise NotFoundError(f"no discussion {raw!r}")
    return int(raw)


def _offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or int(raw) > NUMBER_MAX:
        raise InvalidInputError("the page offset must be a whole number")
    return int(raw)


def discussion_list(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    query = request.query_params
    status_name = query.get("status", "")
    kind_name = query.get("type", "")
    if status_name and status_name not in STATUSES:
        raise InvalidInputError("status is open, closed, merged or draft")
    if kind_name and kind_name not in KINDS:
        raise InvalidInputError("type is pulls or discussions")
    offset = _offset(query.get("offset"))
    found, total = container.discussions.list_discussions(
        visitor.principal,
        repo_id,
        pull_requests=KINDS.get(kind_name),
        status=STATUSES.get(status_name),
        offset=offset,
        limit=PAGE_SIZE,
    )
    filters = {"status": status_name or None, "type": kind_name or None}
    following = None
    if offset + len(found) < total:
        following = urls.repo(repo, "discussions", **filters, offset=offset + PAGE_SIZE)
    previous = None
    if offset > 0:
        previous = urls.repo(
            repo, "discussions", **filters, offset=max(0, offset - PAGE_SIZE) or None
        )
    context = {
        "title": f"Discussions of {repo.full_name}",
        "repo": repo,
        "rev": "main",
        "discussions": found,
        "total": total,
        "status": status_name,
        "kind": kind_name,
        "next_url": following,
        "previous_url": previous,
    }
    return Page("discussions.html", context)


def new_form(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    repo = container_of(request).repos.get(visitor.principal, repo_id_of(request))
    context = {
        "title": f"New discussion - {repo.full_name}",
        "repo": repo,
        "rev": "main",
        "values": {},
    }
    return Page("discussion_new.html", context)


def open_discussion(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    try:
        opened = container.discussions.open(
            visitor.principal,
            repo_id,
            title=form.get("title", ""),
            description=form.get("description", ""),
        )
    except InvalidInputError as exc:
        context = {
            "title": f"New discussion - {repo.full_name}",
            "repo": repo,
            "rev": "main",
            "values": form,
            "error": exc.message,
        }
        return Page("discussion_new.html", context, status=400)
    return RedirectResponse(urls.repo(repo, f"discussions/{opened.num}"), status_code=303)


def discussion_page(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    details = container.discussions.get(visitor.principal, repo_id, _num(request))
    discussion = details.discussion
    context = {
        "title": f"#{discussion.num} {discussion.title} - {repo.full_name}",
        "repo": repo,
        "rev": discussion.ref or "main",
        "discussion": discussion,
        "events": [e for e in details.events if not e.hidden],
        "conflicts": details.conflicts,
        "may_merge": details.may_merge,
        "may_change": details.may_change,
        "is_open": discussion.status in (DiscussionStatus.OPEN, DiscussionStatus.DRAFT),
    }
    return Page("discussion.html", context)


def _back(request: Request, anchor: str = "") -> Response:
    target = urls.repo(repo_id_of(request), f"discussions/{_num(request)}")
    return RedirectResponse(target + anchor, status_code=303)


def comment(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    said = container_of(request).discussions.comment(
        visitor.principal, repo_id_of(request), _num(request), form.get("comment", "")
    )
    return _back(request, f"#event-{said.seq}")


def set_status(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    wanted = form.get("status", "")
    if wanted not in ("open", "closed"):
        raise InvalidInputError("status is open or closed")
    container_of(request).discussions.change_status(
        visitor.principal,
        repo_id_of(request),
        _num(request),
        STATUSES[wanted],
        form.get("comment", ""),
    )
    return _back(request)


def merge(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).discussions.merge(
        visitor.principal, repo_id_of(request), _num(request), form.get("comment", "")
    )
    return _back(request)
