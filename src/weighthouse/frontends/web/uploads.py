"""The upload page: files or folders dropped or picked in the browser go into a branch as one
commit. The page's script streams each file straight from disk to the API's blob upload
(``POST /api/<kind>/<repo>/blobs``, with the session cookie and its CSRF token), then commits
them all at once and tags the commit if asked; this module only serves the page. Whether
the visitor may write is the API's decision, on each request the page makes."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse import wire
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.repo_pages import repo_id_of
from weighthouse.frontends.web.visitors import Visitor


def upload_form(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    branch = request.query_params.get("rev") or DEFAULT_BRANCH
    api = f"{wire.API_PREFIX}/{urls.PLURALS[repo.type]}/{quote(repo.namespace)}/{quote(repo.name)}"
    context = {
        "title": f"Upload to {repo.full_name}",
        "repo": repo,
        "rev": branch,
        "api_base": api,
        "done_url": urls.repo(repo, rev=branch),
    }
    return Page("upload.html", context)
