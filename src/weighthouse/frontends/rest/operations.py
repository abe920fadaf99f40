"""What each REST operation documents: who may call it and which errors it can answer.

The OpenAPI document is built from this one place. Each operation's error responses are the
statuses that :data:`~weighthouse.frontends.rest.errors.ERROR_TABLE` gives to the domain errors
it can raise, which are of two kinds:

* those that follow from the route's shape (:func:`implied_errors`): any operation can get a
  malformed URL (400); one that takes a credential can get a bad one (401), a disabled account
  or a token restricted elsewhere (403) and, for Basic passwords, the sign-in limit (429); one
  with a JSON body can be sent too much (413); every one but ``healthz`` needs the catalog or
  the blob store (503), and every write can find the disk full (507);
* those of the operation itself, listed in :data:`OPERATIONS` by the handler's name.

A test fails when a route has no entry here, so a new route has to say what it raises.
Security: an operation that needs a credential lists the bearer and the basic scheme; one in
:data:`OPERATIONS` with ``anonymous=True`` also allows none (public repos, sign-in, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from weighthouse.domain import errors as e
from weighthouse.frontends.rest import patterns
from weighthouse.frontends.rest.dependencies import current_principal
from weighthouse.frontends.rest.errors import ERROR_TABLE
from weighthouse.frontends.rest.schemas import ErrorOut

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (wh_…) or a session token (whs.…) from /api/signin.",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "A user name with a password or an API token, as git sends them.",
    },
}
_CREDENTIALS: list[dict[str, list[str]]] = [{"bearer": []}, {"basic": []}]

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Operation:
    """``raises``: the domain errors the handler's use case can raise, beyond the implied ones;
    ``anonymous``: a caller without credentials may use it; ``writes``: it stores something
    (default: its method is not GET or HEAD); ``credentials``: it reads the caller's
    credential (default: it depends on ``current_principal``; a handler that authenticates
    inside its own worker thread says so here)."""

    raises: tuple[type[e.DomainError], ...] = ()
    anonymous: bool = False
    writes: bool | None = None
    credentials: bool | None = None


_REPO = (e.RepoNotFoundError,)
_REVISION = (e.RepoNotFoundError, e.RevisionNotFoundError)
_JOB = (e.JobNotFoundError,)
_SUBMIT = (
    *_REVISION,
    e.AppNotFoundError,
    e.InvalidInputError,
    e.InvalidNotifyUrlError,
    e.PermissionDeniedError,
)

OPERATIONS: dict[str, Operation] = {
    # health
    "healthz": Operation(anonymous=True),
    "readyz": Operation(anonymous=True),
    # accounts and tokens
    "whoami": Operation(anonymous=True),
    "sign_up": Operation(
        (e.UserExistsError, e.PermissionDeniedError, e.RateLimitedError), anonymous=True
    ),
    "sign_in": Operation((e.AuthenticationError, e.RateLimitedError), anonymous=True),
    "sign_out": Operation(),
    "change_password": Operation(),
    "create_user": Operation((e.UserExistsError,)),
    "list_users": Operation(),
    "update_user": Operation((e.UserNotFoundError,)),
    "create_token": Operation((e.UserNotFoundError,)),
    "list_tokens": Operation((e.UserNotFoundError,)),
    "revoke_token": Operation((e.TokenNotFoundError,)),
    "audit_log": Operation(),
    "create_access_key": Operation((e.UserNotFoundError,)),
    "list_access_keys": Operation((e.UserNotFoundError,)),
    "revoke_access_key": Operation((e.AccessKeyNotFoundError,)),
    # organisations and collaborators
    "create_org": Operation((e.ConflictError,)),
    "list_orgs": Operation(anonymous=True),
    "get_org": Operation((e.OrganizationNotFoundError,), anonymous=True),
    "list_members": Operation((e.OrganizationNotFoundError,)),
    "set_member": Operation((e.OrganizationNotFoundError, e.UserNotFoundError, e.ConflictError)),
    "remove_member": Operation((e.OrganizationNotFoundError, e.NotFoundError, e.ConflictError)),
    "list_collaborators": Operation(_REPO, anonymous=True),
    "set_collaborator": Operation((*_REPO, e.UserNotFoundError)),
    "remove_collaborator": Operation((*_REPO, e.NotFoundError)),
    # buckets
    "put_object": Operation((*_REPO, e.TooLargeError, e.PreconditionFailedError), credentials=True),
    "get_object": Operation(
        (*_REPO, e.EntryNotFoundError, e.RangeNotSatisfiableError),
        anonymous=True,
        credentials=True,
    ),
    "delete_object": Operation(_REPO),
    "list_objects": Operation(_REPO, anonymous=True),
    # repos and refs
    "create_repo": Operation((e.RepoExistsError, e.UserNotFoundError)),
    "list_repos": Operation(anonymous=True),
    "get_repo": Operation(_REVISION, anonymous=True),
    "update_repo": Operation(_REPO),
    "delete_repo": Operation((*_REPO, e.ObjectLockedError)),
    "move_repo": Operation((*_REPO, e.RepoExistsError, e.UserNotFoundError)),
    "list_refs": Operation(_REPO, anonymous=True),
    "create_branch": Operation((*_REVISION, e.RefExistsError)),
    "delete_branch": Operation((*_REVISION, e.ConflictError)),
    "create_tag": Operation((*_REVISION, e.RefExistsError)),
    "delete_tag": Operation(_REVISION),
    "log": Operation(_REVISION, anonymous=True),
    # files
    "list_tree": Operation((*_REVISION, e.EntryNotFoundError), anonymous=True),
    "download": Operation(
        (
            *_REVISION,
            e.EntryNotFoundError,
            e.RangeNotSatisfiableError,
            e.GatedRepoError,
            e.GatedRepoSignInError,
        ),
        anonymous=True,
    ),
    "upload_blob": Operation((*_REPO, e.TooLargeError)),
    "check_blobs": Operation(_REPO, writes=False),
    "upload_file": Operation((*_REVISION, e.TooLargeError, e.CommitConflictError)),
    "commit": Operation((*_REVISION, e.BlobUnknownError, e.CommitConflictError)),
    # jobs, and the worker API's routes for them
    "list_apps": Operation(),
    "submit_job": Operation(_SUBMIT),
    "list_jobs": Operation((e.InvalidInputError,)),
    "get_job": Operation(_JOB),
    "cancel_job": Operation(_JOB),
    "job_logs": Operation(_JOB),
    "job_results": Operation((*_JOB, *_REPO, e.EntryNotFoundError)),
    "worker_api_start": Operation(_SUBMIT),
    "worker_api_qsizes": Operation((e.AppNotFoundError,)),
    "worker_api_monitor": Operation((e.AppNotFoundError,)),
    "worker_api_status": Operation(_JOB),
    "worker_api_cancel": Operation(_JOB),
    "worker_api_result": Operation(
        (*_JOB, *_REPO, e.EntryNotFoundError, e.RangeNotSatisfiableError)
    ),
    # access requests to gated repos
    "ask_access": Operation(_REPO, writes=False),
    "list_access_requests": Operation(_REPO),
    "decide_access_request": Operation((*_REPO, e.UserNotFoundError, e.NotFoundError)),
    "list_discussions": Operation(_REPO, anonymous=True),
    "get_discussion": Operation((*_REPO, e.NotFoundError), anonymous=True),
}


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every ``APIRoute``, also those of included routers, as their routers hold them.

    FastAPI builds the routes it serves and documents from these on first use, so changes
    made here before then are what it sees.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def authenticates(route: APIRoute) -> bool:
    """Whether the route reads the caller's credential."""
    declared = OPERATIONS[route.name].credentials if route.name in OPERATIONS else None
    if declared is not None:
        return declared
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if dependency.call is current_principal:
            return True
        stack.extend(dependency.dependencies)
    return False


def implied_errors(route: APIRoute, operation: Operation) -> list[type[e.DomainError]]:
    """The errors that follow from the route's shape (see the module docstring)."""
    implied: list[type[e.DomainError]] = [e.InvalidInputError]
    if authenticates(route):
        implied += [e.AuthenticationError, e.PermissionDeniedError, e.RateLimitedError]
    if route.body_field is not None:
        implied.append(e.TooLargeError)
    if route.name != "healthz":
        implied.append(e.StorageError)
    writes = (
        operation.writes
        if operation.writes is not None
        else bool((route.methods or set()) & _WRITES)
    )
    if writes:
        implied.append(e.StorageFullError)
    return implied


def error_responses(raised: Iterable[type[e.DomainError]]) -> dict[int | str, dict[str, Any]]:
    """One response per status, its description naming the error codes it carries."""
    codes: dict[int, list[str]] = {}
    for error in raised:
        status, code = ERROR_TABLE[error]
        if code not in codes.setdefault(status, []):
            codes[status].append(code)
    return {
        status: {"model": ErrorOut, "description": ", ".join(sorted(names))}
        for status, names in sorted(codes.items())
    }


def document_operations(app: FastAPI) -> None:
    """Give every route of ``app`` its error responses and security, from :data:`OPERATIONS`.

    Raises ``KeyError`` naming a route that has no entry there.
    """
    security: dict[tuple[str, str], list[dict[str, list[str]]]] = {}
    for route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        if route.name not in OPERATIONS:
            raise KeyError(
                f"the route {route.name!r} ({route.path}) has no entry in "
                "weighthouse.frontends.rest.operations.OPERATIONS: list the domain errors it "
                "can raise there"
            )
        operation = OPERATIONS[route.name]
        raised = [*implied_errors(route, operation), *operation.raises]
        # What the route declares itself (its own 503 body, 206, 304, a 416's wording) wins.
        documented = error_responses(raised)
        for status, response in route.responses.items():
            documented[status] = {**documented.get(status, {}), **response}
        route.responses = documented
        if authenticates(route):
            for method in route.methods or ():
                security[route.path_format, method.lower()] = (
                    [*_CREDENTIALS, {}] if operation.anonymous else list(_CREDENTIALS)
                )

    generate = app.openapi

    def completed() -> dict[str, Any]:
        # FastAPI builds the document again when routes are added (the docs pages are, later).
        schema = generate()
        if "securitySchemes" not in schema.get("components", {}):
            _complete(schema, security)
        return schema

    app.openapi = completed  # type: ignore[method-assign]


def _complete(
    schema: dict[str, Any], security: dict[tuple[str, str], list[dict[str, list[str]]]]
) -> None:
    """Add the security schemes and each operation's security, and drop FastAPI's 422:
    invalid requests get 400 here."""
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                by_name = {"path": patterns.PARAMETERS, "query": patterns.QUERY_PARAMETERS}
                shape = by_name.get(parameter["in"], {}).get(parameter["name"])
                if shape is not None:
                    _constrain(parameter, shape)
            if (path, method) in security:
                operation["security"] = security[path, method]
    for unused in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(unused, None)


def _constrain(parameter: dict[str, Any], shape: dict[str, Any]) -> None:
    """Give a string parameter (or the string branch of an optional one) the shape."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf", [schema])
    for branch in branches:
        if branch.get("type") == "string":
            description = shape["description"]
            branch.update({k: v for k, v in shape.items() if k != "description"})
            parameter.setdefault("description", description)
