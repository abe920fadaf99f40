"""Repos, their refs and their history."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from urllib.parse import quote

from weighthouse.client.models import CommitInfo, RefInfo, Refs, RepoInfo
from weighthouse.client.transport import Transport, repo_path
from weighthouse.domain.model import RepoType
from weighthouse.wire import API_PREFIX, PAGE_LIMIT_MAX


class ReposApi(Transport):
    def create_repo(
        self,
        name: str,
        *,
        namespace: str | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
        private: bool | None = None,
        description: str = "",
    ) -> RepoInfo:
        """Create a repo; the namespace defaults to the caller's user name on the server, and
        ``private`` left as ``None`` to the server's default (private unless the site changed
        it). ``repo_exists`` (409) when it is taken, ``invalid_name`` (400) for a bad name."""
        body: dict[str, object] = {
            "type": RepoType(repo_type).value,
            "namespace": namespace,
            "name": name,
            "description": description,
        }
        if private is not None:
            body["private"] = private
        return RepoInfo.from_json(self.request("POST", f"{API_PREFIX}/repos", json=body).json())

    def iter_repos(
        self,
        *,
        repo_type: RepoType | str | None = None,
        namespace: str | None = None,
        search: str | None = None,
        page_size: int = 100,
        sort: str | None = None,
    ) -> Iterator[RepoInfo]:
        """Every repo the caller may see, page after page. ``sort``: ``name`` (the default),
        ``updated`` (most recently updated first) or ``size`` (largest first)."""
        params = {
            "type": RepoType(repo_type).value if repo_type else None,
            "namespace": namespace,
            "search": search,
            "limit": page_size,
            "sort": sort,
        }
        for page in self.pages(f"{API_PREFIX}/repos", params):
            yield from (RepoInfo.from_json(r) for r in page["items"])

    def list_repos(
        self,
        *,
        repo_type: RepoType | str | None = None,
        namespace: str | None = None,
        search: str | None = None,
        sort: str | None = None,
    ) -> list[RepoInfo]:
        """``iter_repos`` collected into a list."""
        return list(
            self.iter_repos(repo_type=repo_type, namespace=namespace, search=search, sort=sort)
        )

    def get_repo(self, repo: str, *, repo_type: RepoType | str = RepoType.MODEL) -> RepoInfo:
        """``repo_not_found`` (404) also for a private repo the caller may not see."""
        return RepoInfo.from_json(self.request("GET", repo_path(repo, repo_type)).json())

    def update_repo(
        self,
        repo: str,
        *,
        repo_type: RepoType | str = RepoType.MODEL,
        private: bool | None = None,
        description: str | None = None,
        gated: str | None = None,
    ) -> RepoInfo:
        """Change only the fields given; ``gated`` is ``off``, ``auto`` or ``manual``."""
        body = {"private": private, "description": description, "gated": gated}
        body = {k: v for k, v in body.items() if v is not None}
        response = self.request("PATCH", repo_path(repo, repo_type), json=body)
        return RepoInfo.from_json(response.json())

    def move_repo(
        self, repo: str, to: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> RepoInfo:
        """Rename ``repo`` (``namespace/name``) to ``to`` (``namespace/name``), keeping its
        history; ``repo_exists`` (409) when ``to`` is taken."""
        namespace, _, name = to.partition("/")
        if not namespace or not name or "/" in name:
            raise ValueError(f"expected a repo as namespace/name, got {to!r}")
        response = self.request(
            "POST",
            f"{repo_path(repo, repo_type)}/move",
            json={"namespace": namespace, "name": name},
        )
        return RepoInfo.from_json(response.json())

    def delete_repo(self, repo: str, *, repo_type: RepoType | str = RepoType.MODEL) -> None:
        self.request("DELETE", repo_path(repo, repo_type))

    def refs(self, repo: str, *, repo_type: RepoType | str = RepoType.MODEL) -> Refs:
        return Refs.from_json(self.request("GET", f"{repo_path(repo, repo_type)}/refs").json())

    def create_branch(
        self,
        repo: str,
        branch: str,
        *,
        revision: str = "main",
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> RefInfo:
        """A branch at ``revision``; ``ref_exists`` (409) when the name is taken."""
        body = {"name": branch, "revision": revision}
        response = self.request("POST", f"{repo_path(repo, repo_type)}/branches", json=body)
        return RefInfo.from_json(response.json())

    def delete_branch(
        self, repo: str, branch: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> None:
        self.request("DELETE", f"{repo_path(repo, repo_type)}/branches/{quote(branch, safe='')}")

    def create_tag(
        self,
        repo: str,
        tag: str,
        *,
        revision: str = "main",
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> RefInfo:
        """A tag at ``revision``; tags never move, so an existing name is ``ref_exists``."""
        body = {"name": tag, "revision": revision}
        response = self.request("POST", f"{repo_path(repo, repo_type)}/tags", json=body)
        return RefInfo.from_json(response.json())

    def delete_tag(
        self, repo: str, tag: str, *, repo_type: RepoType | str = RepoType.MODEL
    ) -> None:
        """Delete a tag (repo admins only); a missing one is ``revision_not_found``."""
        self.request("DELETE", f"{repo_path(repo, repo_type)}/tags/{quote(tag, safe='')}")

    def iter_commits(
        self,
        repo: str,
        *,
        revision: str = "main",
        repo_type: RepoType | str = RepoType.MODEL,
        page_size: int = 50,
    ) -> Iterator[CommitInfo]:
        """History from ``revision`` back to the first commit, newest first."""
        path = f"{repo_path(repo, repo_type)}/commits/{quote(revision, safe='')}"
        for page in self.pages(path, {"limit": page_size}):
            yield from (CommitInfo.from_json(c) for c in page["items"])

    def log(
        self,
        repo: str,
        *,
        revision: str = "main",
        limit: int | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> list[CommitInfo]:
        """The newest ``limit`` commits reachable from ``revision`` (all when ``None``)."""
        page_size = min(limit, PAGE_LIMIT_MAX) if limit else 100
        commits = self.iter_commits(
            repo, revision=revision, repo_type=repo_type, page_size=page_size
        )
        return list(islice(commits, limit))
