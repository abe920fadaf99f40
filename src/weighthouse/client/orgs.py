"""Organisations, their members, and collaborators on single repos (``/api/orgs``,
``/api/<kind>/<namespace>/<name>/collaborators``).

Roles are ``read``, ``write`` and ``admin``; each includes the ones before it. An
organisation's members hold their role on every repo in its namespace; a collaborator holds
one on a single repo.
"""

from __future__ import annotations

from urllib.parse import quote

from weighthouse.client.models import MemberInfo, OrgInfo
from weighthouse.client.transport import Transport, repo_path
from weighthouse.domain.model import RepoType
from weighthouse.wire import ORGS_PREFIX


def _org_path(name: str, *rest: str) -> str:
    return "/".join([ORGS_PREFIX, quote(name, safe=""), *(quote(p, safe="") for p in rest)])


class OrgsApi(Transport):
    # --- organisations -------------------------------------------------------------------
    def create_org(self, name: str, *, description: str = "") -> OrgInfo:
        """A new organisation with the caller as its first admin. ``user_exists`` (409) when
        a user or organisation has the name already."""
        body = {"name": name, "description": description}
        return OrgInfo.from_json(self.request("POST", ORGS_PREFIX, json=body).json())

    def list_orgs(self, *, mine: bool = False) -> list[OrgInfo]:
        """Every organisation, or only those the caller belongs to."""
        params = {"mine": "true"} if mine else None
        return [
            OrgInfo.from_json(o) for o in self.request("GET", ORGS_PREFIX, params=params).json()
        ]

    def get_org(self, name: str) -> OrgInfo:
        """``org_not_found`` (404) for an unknown name."""
        return OrgInfo.from_json(self.request("GET", _org_path(name)).json())

    def org_members(self, name: str) -> list[MemberInfo]:
        """Members and their roles; visible to members and site admins."""
        members = self.request("GET", _org_path(name, "members")).json()
        return [MemberInfo.from_json(m) for m in members]

    def set_org_member(self, name: str, user: str, role: str) -> MemberInfo:
        """Add ``user`` with ``role``, or change their role (organisation admins). The last
        admin cannot be demoted."""
        response = self.request("PUT", _org_path(name, "members", user), json={"role": role})
        return MemberInfo.from_json(response.json())

    def remove_org_member(self, name: str, user: str) -> None:
        """Remove a member (organisation admins; anyone may leave). The last admin stays."""
        self.request("DELETE", _org_path(name, "members", user))

    # --- collaborators on one repo -------------------------------------------------------
    def list_collaborators(
        self, repo: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> list[MemberInfo]:
        members = self.request("GET", f"{repo_path(repo, repo_type)}/collaborators").json()
        return [MemberInfo.from_json(m) for m in members]

    def set_collaborator(
        self, repo: str, user: str, role: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> MemberInfo:
        """Give ``user`` ``role`` on this one repo, or change it (repo admins)."""
        path = f"{repo_path(repo, repo_type)}/collaborators/{quote(user, safe='')}"
        return MemberInfo.from_json(self.request("PUT", path, json={"role": role}).json())

    def remove_collaborator(
        self, repo: str, user: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> None:
        """Take ``user``'s role on this repo away; ``entry_not_found`` (404) if they had none."""
        path = f"{repo_path(repo, repo_type)}/collaborators/{quote(user, safe='')}"
        self.request("DELETE", path)
