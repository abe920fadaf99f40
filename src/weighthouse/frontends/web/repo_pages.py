"""A repo's pages: the overview (card and the first page of the tree), the tree at any
revision and folder, one file, and a file's bytes. Buckets get a listing by prefix instead.

Revisions and paths travel as query parameters, so a branch with a slash in its name and a
folder can never be confused; the domain checks both.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse import wire
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import EntryNotFoundError, GatedRepoError, InvalidInputError
from weighthouse.domain.jobs_model import AppSpec
from weighthouse.domain.model import RefKind, Repo, RepoId
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.downloads import blob_response
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.cards import CARD_READ_MAX, render_card
from weighthouse.frontends.web.findings import findings_of
from weighthouse.frontends.web.highlight import highlighted
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import Visitor

TREE_PAGE = 100
"""Entries per page of a tree: a folder of any size renders in about the same time."""
TEXT_SHOWN_MAX = 512 * 1024
"""Files up to this size that read as UTF-8 text are shown in the page."""
BUCKET_PAGE = 100
README = "README.md"


def repo_id_of(request: Request) -> RepoId:
    params = request.path_params
    kind = urls.KINDS.get(params["kind"])
    if kind is None:
        raise EntryNotFoundError("no such page", path=request.url.path)
    return RepoId(kind, params["namespace"], params["name"])


def _revision(request: Request) -> str:
    return request.query_params.get("rev") or DEFAULT_BRANCH


def _crumbs(repo: Repo, revision: str, path: str) -> list[tuple[str, str]]:
    parts = [p for p in path.split("/") if p]
    crumbs = [(repo.name, urls.repo(repo, "tree", rev=revision))]
    for index, part in enumerate(parts):
        crumbs.append(
            (part, urls.repo(repo, "tree", rev=revision, path="/".join(parts[: index + 1])))
        )
    return crumbs


def _tree(
    request: Request, principal: Principal, repo: Repo, revision: str, path: str
) -> dict[str, Any]:
    container = container_of(request)
    after = request.query_params.get("after") or None
    resolved, listing = container.files.list_tree(
        principal,
        RepoId(repo.type, repo.namespace, repo.name),
        revision,
        path,
        after=after,
        limit=TREE_PAGE,
    )
    following = None
    if listing.next_after is not None:
        following = urls.repo(
            repo, "tree", rev=revision, path=path or None, after=listing.next_after
        )
    parent = None
    if path:
        up = posixpath.dirname(path.rstrip("/"))
        parent = urls.repo(repo, "tree", rev=revision, path=up or None)
    return {
        "entries": listing.entries,
        "commit": resolved.commit,
        "tree_next": following,
        "tree_parent": parent,
        "folder": path,
    }


def _refs(request: Request, principal: Principal, repo_id: RepoId) -> dict[str, Any]:
    refs = container_of(request).revisions.refs(principal, repo_id)
    return {
        "branches": [r for r in refs if r.kind is RefKind.BRANCH],
        "tags": [r for r in refs if r.kind is RefKind.TAG],
    }


def runnable_on(specs: list[AppSpec], repo: Repo) -> list[AppSpec]:
    """The apps a repo's page offers to run: those with at most one input, of the repo's kind
    or of any kind; the repo at the page's revision fills that input."""
    return [
        spec
        for spec in specs
        if len(spec.inputs) <= 1
        and all(kind in ("any", repo.type.value) for kind in spec.inputs.values())
    ]


def overview(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    if not repo.type.versioned:
        return _bucket(request, visitor, repo)
    revision = _revision(request)
    context: dict[str, Any] = {"title": repo.full_name, "repo": repo, "rev": revision}
    context.update(_refs(request, visitor.principal, repo_id))
    context.update(_tree(request, visitor.principal, repo, revision, ""))
    context["crumbs"] = _crumbs(repo, revision, "")
    context["card"] = None
    context["apps"] = []
    # At the commit the page lists, so the figures and the files shown agree.
    commit_id = context["commit"].id
    context["findings"] = findings_of(container.findings.at(visitor.principal, repo_id, commit_id))
    if visitor.user is not None:
        # Jobs are for signed-in callers: a visitor has none to run.
        context["apps"] = runnable_on(container.jobs.apps(visitor.principal), repo)
    try:
        _, download = container.files.download(visitor.principal, repo_id, revision, README)
    except (EntryNotFoundError, GatedRepoError):
        # A gated repo's page still lists its files; only their contents are gated.
        download = None
    if download is not None:
        with container.files.reader(download) as reader:
            raw = (
                reader.read_range(0, min(download.size, CARD_READ_MAX + 1))
                if download.size
                else b""
            )
        context["card"] = render_card(
            raw,
            base="",
            page_of=lambda p: urls.repo(repo, "blob", rev=revision, path=p),
            bytes_of=lambda p: urls.repo(repo, "raw", rev=revision, path=p),
        )
    return Page("repo.html", context)


def tree(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo = container.repos.get(visitor.principal, repo_id_of(request))
    revision = _revision(request)
    path = request.query_params.get("path", "").strip("/")
    context: dict[str, Any] = {
        "title": f"{repo.full_name} at {revision}",
        "repo": repo,
        "rev": revision,
    }
    context.update(_refs(request, visitor.principal, repo_id_of(request)))
    context.update(_tree(request, visitor.principal, repo, revision, path))
    context["crumbs"] = _crumbs(repo, revision, path)
    return Page("tree.html", context)


def _text_of(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def blob(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    container = container_of(request)
    repo_id = repo_id_of(request)
    repo = container.repos.get(visitor.principal, repo_id)
    revision = _revision(request)
    path = request.query_params.get("path", "")
    if not path:
        raise InvalidInputError("name a file with ?path=")
    resolved, download = container.files.download(visitor.principal, repo_id, revision, path)
    text = None
    if download.size <= TEXT_SHOWN_MAX:
        with container.files.reader(download) as reader:
            text = _text_of(reader.read_range(0, download.size) if download.size else b"")
    code = highlighted(path, text) if text is not None else None
    context = {
        "title": f"{path} - {repo.full_name}",
        "repo": repo,
        "rev": revision,
        "file_path": path,
        "download": download,
        "commit": resolved.commit,
        "text": text,
        "code": code,
        "crumbs": _crumbs(repo, revision, path),
        "raw_url": urls.repo(repo, "raw", rev=revision, path=path),
    }
    return Page("blob.html", context)


def raw(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """The file's bytes, as an attachment with the download headers of the API."""
    container = container_of(request)
    revision = _revision(request)
    path = request.query_params.get("path", "")
    resolved, download = container.files.download(
        visitor.principal, repo_id_of(request), revision, path
    )
    return blob_response(
        request,
        download,
        container.files.reader,
        extra_headers={
            wire.REPO_COMMIT_HEADER: resolved.commit.id,
            wire.SHA256_HEADER: download.sha256,
        },
    )


def _bucket(request: Request, visitor: Visitor, repo: Repo) -> Page:
    prefix = request.query_params.get("prefix", "")
    after_hex = request.query_params.get("after") or None
    try:
        after = bytes.fromhex(after_hex) if after_hex else None
    except ValueError:
        raise InvalidInputError("bad listing position") from None
    listing = container_of(request).buckets.list(
        visitor.principal,
        RepoId(repo.type, repo.namespace, repo.name),
        prefix=prefix,
        delimiter="/",
        after=after,
        limit=BUCKET_PAGE,
    )
    following = None
    if listing.next_after is not None:
        following = urls.repo(repo, prefix=prefix or None, after=listing.next_after.hex())
    up = None
    if prefix:
        parent = prefix.rstrip("/").rpartition("/")[0]
        up = urls.repo(repo, prefix=f"{parent}/" if parent else None)
    context = {
        "title": repo.full_name,
        "repo": repo,
        "prefix": prefix,
        "objects": listing.objects,
        "prefixes": listing.common_prefixes,
        "next_url": following,
        "up_url": up,
        "api_base": f"{wire.BUCKETS_PREFIX}/{quote(repo.namespace)}/{quote(repo.name)}",
        "done_url": urls.repo(repo, prefix=prefix or None),
    }
    return Page("bucket.html", context)


def delete_object(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """Delete one bucket object; back to the listing of its folder."""
    key = form.get("key", "")
    repo_id = repo_id_of(request)
    container_of(request).buckets.delete(visitor.principal, repo_id, key)
    folder = key.rpartition("/")[0]
    return RedirectResponse(
        urls.repo(repo_id, prefix=f"{folder}/" if folder else None), status_code=303
    )


def bucket_object(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """A bucket object's bytes, as an attachment."""
    container = container_of(request)
    obj, download = container.buckets.download(
        visitor.principal, repo_id_of(request), request.query_params.get("key", "")
    )
    return blob_response(
        request,
        download,
        container.buckets.reader,
        content_type=obj.content_type,
        # None for an object joined from multipart parts, whose SHA-256 is not known.
        extra_headers={} if obj.joined else {wire.SHA256_HEADER: obj.sha256},
    )
