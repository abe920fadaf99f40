"""Repo and ref routes: create, delete, move and duplicate repos; create and delete branches
and tags."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import AuthenticationError, InvalidInputError, RepoExistsError
from weighthouse.domain.model import RefKind, RepoId, RepoType
from weighthouse.frontends.hf.calls import PREFIXES, Call, json_response
from weighthouse.frontends.hf.errors import domain_error_response

_TYPES = {None: RepoType.MODEL, "model": RepoType.MODEL, "dataset": RepoType.DATASET}


def _named_repo(body: dict[str, Any], caller: Principal) -> RepoId:
    """The repo a ``repos/create|delete`` body names: ``organization`` (else the caller's own
    namespace), ``name`` (which may itself be ``ns/name``) and ``type`` (absent for models)."""
    kind = _TYPES.get(body.get("type"))
    if kind is None:
        raise InvalidInputError("type must be 'model' or 'dataset'; spaces are not served here")
    name = body.get("name")
    namespace = body.get("organization")
    if not isinstance(name, str) or (namespace is not None and not isinstance(namespace, str)):
        raise InvalidInputError("name (and organization, if given) must be strings")
    if "/" in name:
        namespace, _, name = name.partition("/")
    if namespace is None:
        if caller.user is None:
            raise AuthenticationError("send a token: Authorization: Bearer <token>")
        namespace = caller.user.name
    return RepoId(kind, namespace, name)


def visibility_private(body: dict[str, Any]) -> bool | None:
    """0.x clients send ``private``; 2.x send ``visibility``. Neither: the site's default."""
    visibility = body.get("visibility")
    if visibility is not None:
        if visibility not in ("public", "private", "protected"):
            raise InvalidInputError("visibility must be 'public', 'private' or 'protected'")
        return bool(visibility != "public")
    private = body.get("private")
    if private is None or isinstance(private, bool):
        return private
    raise InvalidInputError("private must be true or false")


async def create_repo(call: Call) -> Response:
    """``POST /api/repos/create``: 409 when it exists (``exist_ok`` relies on it); the URL is
    built on the host the client called, which it checks against its endpoint."""
    caller = await call.caller()
    body = await call.json_body()
    repo_id = _named_repo(body, caller)
    private = visibility_private(body)
    url = f"{call.endpoint}/{PREFIXES[repo_id.type]}{repo_id}"
    try:
        repo = await run_in_threadpool(call.hub.repos.create, caller, repo_id, private=private)
    except RepoExistsError as exc:
        # With exist_ok the client reads the URL from this very answer.
        return domain_error_response(exc, extra={"url": url})
    return json_response({"url": url, "name": repo.full_name, "id": repo.id})


async def delete_repo(call: Call) -> Response:
    """``DELETE /api/repos/delete``: a missing repo is ``RepoNotFound`` (``missing_ok``)."""
    caller = await call.caller()
    repo_id = _named_repo(await call.json_body(), caller)
    await run_in_threadpool(call.hub.repos.delete, caller, repo_id)
    return json_response({})


def _full_name(value: Any, what: str) -> tuple[str, str]:
    if not isinstance(value, str) or value.count("/") != 1:
        raise InvalidInputError(f"{what} must be 'namespace/name'")
    namespace, _, name = value.partition("/")
    return namespace, name


async def move_repo(call: Call) -> Response:
    """``POST /api/repos/move`` with ``{"fromRepo", "toRepo", "type"?}``: rename or transfer
    a repo (its admins, into a namespace they may create repos in)."""
    caller = await call.caller()
    body = await call.json_body()
    kind = _TYPES.get(body.get("type"))
    if kind is None:
        raise InvalidInputError("type must be 'model' or 'dataset'; spaces are not served here")
    source = RepoId(kind, *_full_name(body.get("fromRepo"), "fromRepo"))
    target = RepoId(kind, *_full_name(body.get("toRepo"), "toRepo"))
    moved = await run_in_threadpool(call.hub.repos.move, caller, source, target)
    return json_response({"url": f"{call.endpoint}/{PREFIXES[kind]}{moved.full_name}"})


async def create_branch(call: Call) -> Response:
    """``POST .../branch/{branch}`` with an optional ``startingPoint``; 409 if it exists."""
    caller = await call.caller()
    body = await call.json_body()
    start = body.get("startingPoint") or "main"
    if not isinstance(start, str):
        raise InvalidInputError("startingPoint must be a revision")
    await run_in_threadpool(
        call.hub.revisions.create_ref,
        caller,
        call.repo_id(),
        RefKind.BRANCH,
        call.params["branch"],
        start,
    )
    return json_response({})


async def delete_branch(call: Call) -> Response:
    caller = await call.caller()
    await run_in_threadpool(
        call.hub.revisions.delete_branch, caller, call.repo_id(), call.params["branch"]
    )
    return json_response({})


async def create_tag(call: Call) -> Response:
    """``POST .../tag/{revision}`` with ``{"tag": name, "message"?}``: note the URL names the
    tag's *target*. Tags never move, so an existing name is 409."""
    caller = await call.caller()
    body = await call.json_body()
    name = body.get("tag")
    if not isinstance(name, str):
        raise InvalidInputError("tag must be the new tag's name")
    await run_in_threadpool(
        call.hub.revisions.create_ref, caller, call.repo_id(), RefKind.TAG, name, call.params["rev"]
    )
    return json_response({})


async def delete_tag(call: Call) -> Response:
    """``DELETE .../tag/{tag}``: repo admins only; a missing tag is 404."""
    caller = await call.caller()
    await run_in_threadpool(
        call.hub.revisions.delete_tag, caller, call.repo_id(), call.params["tag"]
    )
    return json_response({})


async def super_squash(call: Call) -> Response:
    """``POST /api/{kind}/{ns}/{name}/super-squash/{rev}``: refused with a 400 the client
    raises as ``BadRequestError``. Squashing rewrites a branch's history, and here every
    commit a tag, a pull or another front-end may name stays reachable."""
    caller = await call.caller()
    await run_in_threadpool(call.hub.repos.get, caller, call.repo_id())
    raise InvalidInputError(
        "squashing history is not supported: Weighthouse keeps every commit of a branch"
    )


async def duplicate_repo(call: Call) -> Response:
    """``POST /api/{kind}/{ns}/{name}/duplicate`` with ``{"repository": "ns/name",
    "visibility"?}`` (``"private"`` from older clients): ``duplicate_repo``'s server-side copy
    of a model or dataset, with its branches, tags and history. The copy is complete when
    answered (``filesCopyPending`` false); an existing target is 409 with its URL, which
    ``exist_ok`` reads."""
    caller = await call.caller()
    body = await call.json_body()
    source = call.repo_id()
    target = RepoId(source.type, *_full_name(body.get("repository"), "repository"))
    private = visibility_private(body)
    url = f"{call.endpoint}/{PREFIXES[target.type]}{target}"
    try:
        await run_in_threadpool(
            call.hub.duplicates.duplicate, caller, source, target, private=private
        )
    except RepoExistsError as exc:
        return domain_error_response(exc, extra={"url": url})
    return json_response({"url": url, "filesCopyPending": False})
