"""Read routes: repo info with ``siblings``, tree listings, ``paths-info``, refs and commits."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.discussions_model import PR_REF_PREFIX
from weighthouse.domain.errors import EntryNotFoundError, GatedRepoError, InvalidInputError
from weighthouse.domain.file_findings import FileFindings
from weighthouse.domain.model import PathEntry, RefKind, RepoId, RepoType, TreeListing
from weighthouse.domain.names import check_folder
from weighthouse.domain.revisions import Resolved
from weighthouse.frontends.hf import cards, safetensors
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import commit_entry, iso, ref_entry, sibling, tree_entry
from weighthouse.frontends.hf.gating import gated_value
from weighthouse.frontends.hf.security import repo_status, security_status

PATHS_INFO_MAX = 1000
"""Most paths one ``paths-info`` call may ask about."""
EXPANDED_PAGE = 50
"""Entries per tree page with ``expand=true``, as the Hub sends: each costs a history read."""
_DEFAULT_REVISION = "main"


def _flag(call: Call, name: str) -> bool:
    return call.request.query_params.get(name, "").lower() in ("1", "true")


async def repo_info(call: Call) -> Response:
    """``GET /api/{kind}/{ns}/{name}[/revision/{rev}]``: the repo at a revision, with every
    file in ``siblings`` (0.x ``snapshot_download`` and diffusers list files from it), and
    with ``securityStatus=true`` the ``securityRepoStatus`` of its files."""
    caller = await call.caller()
    repo_id = call.repo_id()
    revision = call.params.get("rev", _DEFAULT_REVISION)
    blobs = _flag(call, "blobs")
    security = _flag(call, "securityStatus")
    return json_response(
        await run_in_threadpool(_repo_info, call, caller, repo_id, revision, blobs, security)
    )


def _repo_info(
    call: Call,
    caller: Principal,
    repo_id: RepoId,
    revision: str,
    blobs: bool,
    security: bool,
) -> dict[str, Any]:
    hub = call.hub
    repo = hub.repos.get(caller, repo_id)
    resolved = hub.revisions.resolve(caller, repo_id, revision)
    files = [
        item
        for item in walk_all(call, caller, repo_id, resolved.commit.id)
        if item.entry.sha256 is not None
    ]
    full_name = repo.full_name
    info: dict[str, Any] = {
        "_id": repo.id,
        "id": full_name,
        "author": repo.namespace,
        "sha": resolved.commit.id,
        "lastModified": iso(resolved.commit.created_at),
        "createdAt": iso(repo.created_at),
        "private": repo.private,
        "gated": gated_value(repo.gated),
        "disabled": False,
        "downloads": 0,
        "likes": hub.likes.count(caller, repo_id),
        "tags": [],
        "description": repo.description,
        "siblings": [sibling(item, blobs=blobs) for item in files],
        "xetEnabled": False,
    }
    if any(item.path == "README.md" for item in files):
        card = card_of(call, caller, repo_id, resolved.commit.id)
        if card is not None:
            info["cardData"] = card
            for key in ("pipeline_tag", "library_name"):
                if isinstance(card.get(key), str):
                    info[key] = card[key]
            tags = card.get("tags")
            if isinstance(tags, list):
                info["tags"] = [t for t in tags if isinstance(t, str)]
    if blobs:
        info["usedStorage"] = sum(item.entry.size for item in files)
    # What the inspect and scan apps found in these files (the caller just listed them).
    found = hub.findings.of_listing(TreeListing(tuple(files), None))
    labels = sorted({label for f in found.values() for label in f.labels})
    info["tags"] = [*info["tags"], *(label for label in labels if label not in info["tags"])]
    if security:
        info["securityRepoStatus"] = repo_status((item.path for item in files), found)
    if repo_id.type is RepoType.MODEL:
        info["modelId"] = full_name
        weights = [item for item in files if item.path.endswith(".safetensors")]
        if weights and len(weights) <= safetensors.FILES_MAX:
            counts = safetensors.summary(
                [
                    _inspected(found.get(w.path))
                    or _parameters(call, caller, repo_id, resolved.commit.id, w.path)
                    for w in weights
                ]
            )
            if counts is not None:
                info["safetensors"] = counts
    return info


def _inspected(found: FileFindings | None) -> dict[str, int] | None:
    """Parameters per dtype as the inspect app counted them; ``None`` before it has."""
    dtypes = None if found is None or found.inspect is None else found.inspect.get("dtypes")
    if not isinstance(dtypes, dict):
        return None
    return {str(dtype): int(count) for dtype, count in dtypes.items()}


def card_of(call: Call, caller: Principal, repo_id: RepoId, commit: str) -> dict[str, Any] | None:
    """The README's front matter; ``None`` for a caller the repo's gate keeps out. Raises
    ``EntryNotFoundError`` when the commit has no ``README.md``."""
    try:
        _, found = call.hub.files.download(caller, repo_id, commit, "README.md")
    except GatedRepoError:
        return None
    with call.hub.files.reader(found) as reader:
        return cards.card_data(reader.read_range(0, min(reader.size, cards.CARD_MAX)))


def _parameters(
    call: Call, caller: Principal, repo_id: RepoId, commit: str, path: str
) -> dict[str, int] | None:
    try:
        _, found = call.hub.files.download(caller, repo_id, commit, path)
    except GatedRepoError:
        return None
    with call.hub.files.reader(found) as reader:
        return safetensors.parameter_counts(reader.read_range, reader.size)


def walk_all(call: Call, caller: Principal, repo_id: RepoId, commit: str) -> list[PathEntry]:
    """Every file and folder of the commit, read page by page."""
    entries: list[PathEntry] = []
    after: str | None = None
    while True:
        _, listing = call.hub.files.list_tree(
            caller, repo_id, commit, "", recursive=True, after=after, limit=1000
        )
        entries.extend(listing.entries)
        if listing.next_after is None:
            return entries
        after = listing.next_after


async def tree(call: Call) -> Response:
    """``GET /api/{kind}/{ns}/{name}/tree/{rev}[/{path}]``: one page of entries, the next
    page linked in ``Link: <…>; rel="next"``; a missing folder is ``EntryNotFound``."""
    caller = await call.caller()
    repo_id = call.repo_id()
    query = call.request.query_params
    recursive = _flag(call, "recursive")
    cursor = query.get("cursor")
    if cursor is not None and len(cursor) > 2048:
        raise InvalidInputError("the cursor is too long")
    expand = _flag(call, "expand")
    page_size = call.hub.settings.hf.page_size
    resolved, listing = await run_in_threadpool(
        call.hub.files.list_tree,
        caller,
        repo_id,
        call.params["rev"],
        call.params.get("path", ""),
        recursive=recursive,
        after=cursor or None,
        limit=min(page_size, EXPANDED_PAGE) if expand else page_size,
    )
    entries = [tree_entry(item) for item in listing.entries]
    if expand:
        await run_in_threadpool(_expand, call, caller, repo_id, resolved, listing, entries)
    headers = {}
    if listing.next_after is not None:
        headers["Link"] = next_link(call, cursor=listing.next_after)
    return json_response(entries, headers=headers)


def _expand(
    call: Call,
    caller: Principal,
    repo_id: RepoId,
    resolved: Resolved,
    listing: TreeListing,
    entries: list[dict[str, Any]],
) -> None:
    """``expand=true``: each entry's ``lastCommit`` (``id``, ``title``, ``date``), when the
    history read finds it, and the ``securityFileStatus`` of each file the scan app read.
    ``listing`` holds the entries as :meth:`Files.list_tree` or :meth:`Files.entry` answered
    them to the caller, who may therefore see their findings."""
    findings = call.hub.findings.of_listing(listing)
    for entry in entries:
        scanned = findings.get(entry["path"])
        if entry["type"] == "file" and scanned is not None and scanned.scan is not None:
            entry["securityFileStatus"] = security_status(scanned.scan)
    paths = [entry["path"] for entry in entries]
    found = call.hub.files.last_changes(caller, repo_id, resolved.commit.id, paths)
    for entry in entries:
        commit = found.get(entry["path"])
        if commit is not None:
            summary = commit_entry(commit)
            entry["lastCommit"] = {k: summary[k] for k in ("id", "title", "date")}


async def paths_info(call: Call) -> Response:
    """``POST /api/{kind}/{ns}/{name}/paths-info/{rev}``, a form (``paths=a&paths=b``) or JSON
    body: the entries that exist, missing ones left out."""
    caller = await call.caller()
    repo_id = call.repo_id()
    body = await call.body()
    if call.request.headers.get("content-type", "").startswith("application/json"):
        value = _json(body)
        raw = value.get("paths", [])
        paths = [raw] if isinstance(raw, str) else raw
        expand_field: Any = value.get("expand")
    else:
        form = parse_qs(body.decode("utf-8", "replace"))
        paths = form.get("paths", [])
        expand_field = (form.get("expand") or [""])[-1]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidInputError("paths must be a list of strings")
    if len(paths) > PATHS_INFO_MAX:
        raise InvalidInputError(f"ask about at most {PATHS_INFO_MAX} paths at once")
    revision = call.params["rev"]
    expand = expand_field in (True, "1", "true", "True")

    def lookup() -> list[dict[str, Any]]:
        resolved = call.hub.revisions.resolve(caller, repo_id, revision)
        items = []
        for path in dict.fromkeys(paths):
            try:
                _, item = call.hub.files.entry(
                    caller, repo_id, resolved.commit.id, check_folder(path)
                )
            except (EntryNotFoundError, InvalidInputError):
                continue
            if item.path:
                items.append(item)
        found = [tree_entry(item) for item in items]
        if expand:
            _expand(call, caller, repo_id, resolved, TreeListing(tuple(items), None), found)
        return found

    return json_response(await run_in_threadpool(lookup))


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInputError("the body must be a JSON object")
    return value


async def refs(call: Call) -> Response:
    """``GET /api/{kind}/{ns}/{name}/refs``: branches and tags (no conversions); pull request
    branches (``refs/pr/<num>``) only under ``pullRequests``, when asked."""
    caller = await call.caller()
    all_refs = await run_in_threadpool(call.hub.revisions.refs, caller, call.repo_id())
    branches = [r for r in all_refs if r.kind is RefKind.BRANCH]
    out: dict[str, Any] = {
        "branches": [ref_entry(r, "heads") for r in branches if not _is_pr(r.name)],
        "tags": [ref_entry(r, "tags") for r in all_refs if r.kind is RefKind.TAG],
        "converts": [],
    }
    if _flag(call, "include_prs"):
        out["pullRequests"] = [
            {"name": r.name, "ref": r.name, "targetCommit": r.commit_id}
            for r in branches
            if _is_pr(r.name)
        ]
    return json_response(out)


def _is_pr(name: str) -> bool:
    return name.startswith(PR_REF_PREFIX)


async def commits(call: Call) -> Response:
    """``GET /api/{kind}/{ns}/{name}/commits/{rev}``: newest first, paged by ``Link``."""
    caller = await call.caller()
    cursor = call.request.query_params.get("cursor") or None
    page = await run_in_threadpool(
        call.hub.revisions.log,
        caller,
        call.repo_id(),
        call.params["rev"],
        after=cursor,
        limit=call.hub.settings.hf.page_size,
    )
    headers = {}
    if page.next_after is not None:
        headers["Link"] = next_link(call, cursor=page.next_after)
    return json_response([commit_entry(c) for c in page.items], headers=headers)
