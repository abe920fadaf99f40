"""Routes for organisations, their members, and collaborators on single repos."""

from __future__ import annotations

from fastapi import APIRouter, Response

from weighthouse import wire
from weighthouse.frontends.rest import repo_kinds
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.repos import repo_id
from weighthouse.frontends.rest.schemas import MemberOut, OrgCreate, OrgOut, RepoKind, RoleSet

assert repo_kinds.CONVERTOR == "repo_kind"  # registered on import, before the routes below
router = APIRouter(prefix=wire.API_PREFIX, tags=["organisations"], route_class=JsonLimitRoute)


@router.post("/orgs", response_model=OrgOut, status_code=201)
def create_org(body: OrgCreate, caller: Caller, hub: Wired) -> OrgOut:
    """Create an organisation; you become its first admin."""
    return OrgOut.of(hub.orgs.create(caller, body.name, description=body.description))


@router.get("/orgs", response_model=list[OrgOut])
def list_orgs(caller: Caller, hub: Wired, mine: bool = False) -> list[OrgOut]:
    """Organisations (``mine``: only those you belong to)."""
    return [OrgOut.of(o) for o in hub.orgs.list_orgs(caller, mine=mine)]


@router.get("/orgs/{name}", response_model=OrgOut)
def get_org(name: str, caller: Caller, hub: Wired) -> OrgOut:
    """One organisation."""
    return OrgOut.of(hub.orgs.get(caller, name))


@router.get("/orgs/{name}/members", response_model=list[MemberOut])
def list_members(name: str, caller: Caller, hub: Wired) -> list[MemberOut]:
    """An organisation's members and their roles."""
    return [MemberOut.of(m) for m in hub.orgs.members(caller, name)]


@router.put("/orgs/{name}/members/{user}", response_model=MemberOut)
def set_member(name: str, user: str, body: RoleSet, caller: Caller, hub: Wired) -> MemberOut:
    """Add a member or change their role (organisation admins)."""
    return MemberOut.of(hub.orgs.set_member(caller, name, user, body.role))


@router.delete("/orgs/{name}/members/{user}", status_code=204)
def remove_member(name: str, user: str, caller: Caller, hub: Wired) -> Response:
    """Remove a member (organisation admins); the last admin cannot be removed."""
    hub.orgs.remove_member(caller, name, user)
    return Response(status_code=204)


@router.get("/{kind:repo_kind}/{namespace}/{name}/collaborators", response_model=list[MemberOut])
def list_collaborators(
    kind: RepoKind, namespace: str, name: str, caller: Caller, hub: Wired
) -> list[MemberOut]:
    """The users with a role on this one repo."""
    members = hub.orgs.collaborators(caller, repo_id(kind, namespace, name))
    return [MemberOut.of(m) for m in members]


@router.put("/{kind:repo_kind}/{namespace}/{name}/collaborators/{user}", response_model=MemberOut)
def set_collaborator(
    kind: RepoKind, namespace: str, name: str, user: str, body: RoleSet, caller: Caller, hub: Wired
) -> MemberOut:
    """Give one user a role on this repo (repo admins)."""
    member = hub.orgs.set_collaborator(caller, repo_id(kind, namespace, name), user, body.role)
    return MemberOut.of(member)


@router.delete("/{kind:repo_kind}/{namespace}/{name}/collaborators/{user}", status_code=204)
def remove_collaborator(
    kind: RepoKind, namespace: str, name: str, user: str, caller: Caller, hub: Wired
) -> Response:
    """Take a user's role on this repo away (repo admins)."""
    hub.orgs.remove_collaborator(caller, repo_id(kind, namespace, name), user)
    return Response(status_code=204)
