"""Access requests to gated repos: ask for the files, or (repo admins) list and decide."""

from __future__ import annotations

from urllib.parse import quote

from weighthouse.client.models import AccessRequestInfo
from weighthouse.client.transport import Transport, repo_path
from weighthouse.domain.model import RepoType


class AccessRequestsApi(Transport):
    def ask_access(
        self, repo: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> AccessRequestInfo:
        """Ask for a gated repo's files; asking again returns the request as it stands."""
        response = self.request("POST", f"{repo_path(repo, repo_type)}/access-requests")
        return AccessRequestInfo.from_json(response.json())

    def access_requests(
        self,
        repo: str,
        *,
        status: str = "pending",
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> list[AccessRequestInfo]:
        """The repo's requests in ``status``, oldest first (repo admins)."""
        response = self.request(
            "GET", f"{repo_path(repo, repo_type)}/access-requests", params={"status": status}
        )
        return [AccessRequestInfo.from_json(r) for r in response.json()]

    def decide_access(
        self,
        repo: str,
        user: str,
        status: str,
        *,
        reason: str = "",
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> AccessRequestInfo:
        """Set ``user``'s request to ``accepted``, ``rejected`` or ``pending`` (repo admins);
        accepting a user who asked nothing grants access."""
        path = f"{repo_path(repo, repo_type)}/access-requests/{quote(user, safe='')}"
        response = self.request("PUT", path, json={"status": status, "reason": reason})
        return AccessRequestInfo.from_json(response.json())
