"""A repo's history: commits from a revision back, one commit's changed files, and the
branches and tags."""

from __future__ import annotations

from starlette.requests import Request

from weighthouse.domain.model import RefKind
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.repo_pages import repo_id_of
from weighthouse.frontends.web.visitors import Visitor

COMMITS_PAGE = 30
CHANGES_SHOWN = 1000


def commits(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    revision = request.query_params.get("rev") or DEFAULT_BRANCH
    after = request.query_params.get("after") or None
    found = container.revisions.log(
        visitor.principal, repo_id, revision, after=after, limit=COMMITS_PAGE
    )
    following = None
    if found.next_after is not None:
        following = urls.repo(repo, "commits", rev=revision, after=found.next_after)
    context = {
        "title": f"History of {repo.full_name}",
        "repo": repo,
        "rev": revision,
        "commits": found.items,
        "next_url": following,
    }
    return Page("commits.html", context)


def commit(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    found = container.changes.of_commit(
        visitor.principal, repo_id, request.path_params["commit"], limit=CHANGES_SHOWN
    )
    context = {
        "title": f"Commit {found.commit.id[:10]} - {repo.full_name}",
        "repo": repo,
        "rev": found.commit.id,
        "commit": found.commit,
        "changes": found.changes,
        "truncated": found.truncated,
    }
    return Page("commit.html", context)


def refs(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    found = container.revisions.refs(visitor.principal, repo_id)
    context = {
        "title": f"Branches and tags of {repo.full_name}",
        "repo": repo,
        "rev": DEFAULT_BRANCH,
        "branches": [r for r in found if r.kind is RefKind.BRANCH],
        "tags": [r for r in found if r.kind is RefKind.TAG],
    }
    return Page("refs.html", context)
