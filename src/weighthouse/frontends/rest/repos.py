"""Routes for repos, their refs and their history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from weighthouse import wire
from weighthouse.domain.access import require_user
from weighthouse.domain.errors import RevisionNotFoundError
from weighthouse.domain.model import RefKind, RepoId, RepoOrder, RepoType
from weighthouse.domain.names import REF_MAX
from weighthouse.domain.versions import latest_version
from weighthouse.frontends.rest import cursors, ref_segments, repo_kinds
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import (
    CommitOut,
    CommitPage,
    FindingsOut,
    RefCreate,
    RefOut,
    RefsOut,
    RepoCreate,
    RepoInfoOut,
    RepoKind,
    RepoMove,
    RepoOut,
    RepoPage,
    RepoUpdate,
)

# Registered on import, before the routes below.
assert repo_kinds.CONVERTOR == "repo_kind" and ref_segments.CONVERTOR == "ref"
router = APIRouter(prefix=wire.API_PREFIX, tags=["repos"], route_class=JsonLimitRoute)

Limit = Annotated[int, Query(ge=1, le=wire.PAGE_LIMIT_MAX)]


def repo_id(kind: RepoKind, namespace: str, name: str) -> RepoId:
    return RepoId(kind.type, namespace, name)


@router.post("/repos", response_model=RepoOut, status_code=201)
def create_repo(body: RepoCreate, caller: Caller, hub: Wired) -> RepoOut:
    """Create a repo in your namespace or one of your organisations, with its ``main`` branch."""
    # An empty namespace is checked (and refused) like any other name, not taken as none.
    namespace = body.namespace if body.namespace is not None else require_user(caller).name
    repo = hub.repos.create(
        caller,
        RepoId(body.type, namespace, body.name),
        private=body.private,
        description=body.description,
    )
    return RepoOut.of(repo)


@router.get("/repos", response_model=RepoPage)
def list_repos(
    caller: Caller,
    hub: Wired,
    type: RepoType | None = None,
    namespace: str | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Limit = 50,
    sort: RepoOrder = RepoOrder.NAME,
) -> RepoPage:
    """The repos you can see, filtered by type, namespace or a search in the name, paginated.

    ``sort``: ``name`` (``namespace/name``), ``updated`` (most recently updated first),
    ``size`` (largest first), ``created`` (newest first) or ``likes`` (most liked first), ties
    by name; a cursor continues the order it came from."""
    page = hub.repos.list(
        caller,
        type=type,
        namespace=namespace,
        search=search,
        after=cursors.decode_text(cursor),
        limit=limit,
        order=sort,
    )
    return RepoPage(
        items=[RepoOut.of(r) for r in page.items], next_cursor=cursors.encode(page.next_after)
    )


@router.get("/{kind:repo_kind}/{namespace}/{name}", response_model=RepoInfoOut)
def get_repo(
    kind: RepoKind,
    namespace: str,
    name: str,
    caller: Caller,
    hub: Wired,
    revision: Annotated[
        str, Query(max_length=REF_MAX, description="whose files' findings to show")
    ] = "main",
) -> RepoInfoOut:
    """One repo, with what the inspect and scan apps found in its files at ``revision``; a
    private one you may not read answers 404, like a missing one."""
    wanted = repo_id(kind, namespace, name)
    repo = hub.repos.get(caller, wanted)
    findings = None
    if repo.type is not RepoType.BUCKET:
        try:
            findings = FindingsOut.of(hub.findings.at(caller, wanted, revision))
        except RevisionNotFoundError:
            if revision != "main":
                raise
            # A repo whose default branch holds nothing yet has nothing to show.
    return RepoInfoOut(**RepoOut.of(repo).model_dump(), findings=findings)


@router.patch("/{kind:repo_kind}/{namespace}/{name}", response_model=RepoOut)
def update_repo(
    kind: RepoKind, namespace: str, name: str, body: RepoUpdate, caller: Caller, hub: Wired
) -> RepoOut:
    """Change a repo's visibility, description or gating (repo admins)."""
    repo = hub.repos.update(
        caller,
        repo_id(kind, namespace, name),
        private=body.private,
        description=body.description,
        gated=body.gated,
    )
    return RepoOut.of(repo)


@router.post("/{kind:repo_kind}/{namespace}/{name}/move", response_model=RepoOut)
def move_repo(
    kind: RepoKind, namespace: str, name: str, body: RepoMove, caller: Caller, hub: Wired
) -> RepoOut:
    """Rename a repo or move it to another namespace you may create repos in (repo admins).
    History, refs and collaborators move with it; nothing redirects from the old name."""
    source = repo_id(kind, namespace, name)
    target = RepoId(
        kind.type,
        body.namespace if body.namespace is not None else namespace,
        body.name if body.name is not None else name,
    )
    return RepoOut.of(hub.repos.move(caller, source, target))


@router.delete("/{kind:repo_kind}/{namespace}/{name}", status_code=204)
def delete_repo(kind: RepoKind, namespace: str, name: str, caller: Caller, hub: Wired) -> Response:
    """Delete a repo with its history (repo admins); its bytes go at the next gc."""
    hub.repos.delete(caller, repo_id(kind, namespace, name))
    return Response(status_code=204)


@router.get("/{kind:repo_kind}/{namespace}/{name}/refs", response_model=RefsOut)
def list_refs(kind: RepoKind, namespace: str, name: str, caller: Caller, hub: Wired) -> RefsOut:
    """The repo's branches and tags, and the commit ``latest`` names."""
    refs = hub.revisions.refs(caller, repo_id(kind, namespace, name))
    latest = latest_version(refs)
    if latest is None:
        latest = next((r for r in refs if r.kind is RefKind.BRANCH and r.name == "main"), None)
    return RefsOut(
        branches=[RefOut.of(r) for r in refs if r.kind is RefKind.BRANCH],
        tags=[RefOut.of(r) for r in refs if r.kind is RefKind.TAG],
        latest=latest.commit_id if latest else None,
    )


@router.post(
    "/{kind:repo_kind}/{namespace}/{name}/branches", response_model=RefOut, status_code=201
)
def create_branch(
    kind: RepoKind, namespace: str, name: str, body: RefCreate, caller: Caller, hub: Wired
) -> RefOut:
    """A new branch at ``revision``."""
    ref = hub.revisions.create_ref(
        caller, repo_id(kind, namespace, name), RefKind.BRANCH, body.name, body.revision
    )
    return RefOut.of(ref)


@router.delete("/{kind:repo_kind}/{namespace}/{name}/branches/{branch:ref}", status_code=204)
def delete_branch(
    kind: RepoKind, namespace: str, name: str, branch: str, caller: Caller, hub: Wired
) -> Response:
    """Delete a branch; ``main`` cannot be deleted."""
    hub.revisions.delete_branch(caller, repo_id(kind, namespace, name), branch)
    return Response(status_code=204)


@router.post("/{kind:repo_kind}/{namespace}/{name}/tags", response_model=RefOut, status_code=201)
def create_tag(
    kind: RepoKind, namespace: str, name: str, body: RefCreate, caller: Caller, hub: Wired
) -> RefOut:
    """A tag at ``revision``; tags never move."""
    ref = hub.revisions.create_ref(
        caller, repo_id(kind, namespace, name), RefKind.TAG, body.name, body.revision
    )
    return RefOut.of(ref)


@router.delete("/{kind:repo_kind}/{namespace}/{name}/tags/{tag:ref}", status_code=204)
def delete_tag(
    kind: RepoKind, namespace: str, name: str, tag: str, caller: Caller, hub: Wired
) -> Response:
    """Delete a tag (repo admins only, audited); ``latest`` then names the highest remaining
    version. Tags never move: re-creating the name makes a new tag."""
    hub.revisions.delete_tag(caller, repo_id(kind, namespace, name), tag)
    return Response(status_code=204)


@router.get(
    "/{kind:repo_kind}/{namespace}/{name}/commits/{revision:ref}", response_model=CommitPage
)
def log(
    kind: RepoKind,
    namespace: str,
    name: str,
    revision: str,
    caller: Caller,
    hub: Wired,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Limit = 50,
) -> CommitPage:
    """Commits reachable from ``revision``, newest first, paginated."""
    page = hub.revisions.log(
        caller,
        repo_id(kind, namespace, name),
        revision,
        after=cursors.decode_text(cursor),
        limit=limit,
    )
    return CommitPage(
        items=[CommitOut.of(c) for c in page.items], next_cursor=cursors.encode(page.next_after)
    )
