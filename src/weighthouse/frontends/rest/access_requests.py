"""Routes for access requests to gated repos: users ask, repo admins list and decide."""

from __future__ import annotations

from fastapi import APIRouter

from weighthouse import wire
from weighthouse.domain.model import AccessRequestStatus
from weighthouse.frontends.rest import repo_kinds
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.repos import repo_id
from weighthouse.frontends.rest.schemas import AccessDecision, AccessRequestOut, RepoKind

assert repo_kinds.CONVERTOR == "repo_kind"  # registered on import, before the routes below
router = APIRouter(prefix=wire.API_PREFIX, tags=["access requests"], route_class=JsonLimitRoute)
_REQUESTS = "/{kind:repo_kind}/{namespace}/{name}/access-requests"


@router.post(_REQUESTS, response_model=AccessRequestOut)
def ask_access(
    kind: RepoKind, namespace: str, name: str, caller: Caller, hub: Wired
) -> AccessRequestOut:
    """Ask for the files of a gated repo; asking again returns the request as it stands."""
    request = hub.access_requests.ask(caller, repo_id(kind, namespace, name))
    return AccessRequestOut.of(request)


@router.get(_REQUESTS, response_model=list[AccessRequestOut])
def list_access_requests(
    kind: RepoKind,
    namespace: str,
    name: str,
    caller: Caller,
    hub: Wired,
    status: AccessRequestStatus = AccessRequestStatus.PENDING,
) -> list[AccessRequestOut]:
    """The repo's requests in ``status``, oldest first (repo admins)."""
    found = hub.access_requests.list(caller, repo_id(kind, namespace, name), status)
    return [AccessRequestOut.of(r) for r in found]


@router.put(_REQUESTS + "/{user}", response_model=AccessRequestOut)
def decide_access_request(
    kind: RepoKind,
    namespace: str,
    name: str,
    user: str,
    body: AccessDecision,
    caller: Caller,
    hub: Wired,
) -> AccessRequestOut:
    """Accept, reject or put back ``user``'s request (repo admins); accepting a user who
    asked nothing grants access."""
    decided = hub.access_requests.decide(
        caller, repo_id(kind, namespace, name), user, body.status, body.reason
    )
    return AccessRequestOut.of(decided)
