"""Access requests to gated repos in the in-memory catalog."""

from __future__ import annotations

from dataclasses import replace

from weighthouse.domain.errors import RepoNotFoundError, UserNotFoundError
from weighthouse.domain.model import AccessRequest, AccessRequestStatus
from weighthouse.metadata.memory.tables import MemoryTables, in_utc


class MemoryAccessRequests(MemoryTables):
    def access_request(self, repo_id: str, user_id: str) -> AccessRequest | None:
        with self._lock:
            found = self._tables.access_requests.get((repo_id, user_id))
            return None if found is None else self._named(found)

    def save_access_request(self, request: AccessRequest) -> None:
        with self._lock:
            tables = self._tables
            if request.repo_id not in tables.repos:
                raise RepoNotFoundError(f"no repo with id {request.repo_id!r}")
            if request.user_id not in tables.users:
                raise UserNotFoundError(
                    f"no user with id {request.user_id!r}", user_id=request.user_id
                )
            key = (request.repo_id, request.user_id)
            stored = tables.access_requests.get(key)
            kept = request if stored is None else replace(request, created_at=stored.created_at)
            tables.access_requests[key] = in_utc(replace(kept, user=""))

    def list_access_requests(
        self, repo_id: str, status: AccessRequestStatus
    ) -> list[AccessRequest]:
        with self._lock:
            found = [
                self._named(r)
                for (repo, _), r in self._tables.access_requests.items()
                if repo == repo_id and r.status is status
            ]
        found.sort(key=lambda r: (r.created_at, r.user_id))
        return found

    def _named(self, request: AccessRequest) -> AccessRequest:
        return replace(request, user=self._tables.users[request.user_id].name)
