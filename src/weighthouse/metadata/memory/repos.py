"""Repos of the in-memory catalog, and which of them a viewer may list."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from weighthouse.domain.catalog import RepoQuery
from weighthouse.domain.errors import (
    ObjectLockedError,
    RepoExistsError,
    RepoNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import BucketObject, Repo, RepoOrder, RepoType
from weighthouse.domain.object_lock import locked
from weighthouse.metadata.memory.tables import MemoryTables, Tables, in_utc, utc, utf8


class MemoryRepos(MemoryTables):
    def add_repo(self, repo: Repo) -> None:
        with self._lock:
            tables = self._tables
            if repo.owner_id not in tables.users:
                raise UserNotFoundError(f"no user with id {repo.owner_id!r}", user_id=repo.owner_id)
            key = (repo.type, repo.namespace, repo.name)
            if key in tables.repo_ids or repo.id in tables.repos:
                raise RepoExistsError(
                    f"{repo.type.value} {repo.full_name!r} exists", repo=repo.full_name
                )
            # Size and update time are the catalog's to keep (see Repo).
            tables.repos[repo.id] = in_utc(
                replace(repo, size=0, updated_at=repo.created_at, configuration_revision=0)
            )
            tables.repo_ids[key] = repo.id

    def get_repo(self, type: RepoType, namespace: str, name: str) -> Repo:
        with self._lock:
            repo_id = self._tables.repo_ids.get((type, namespace, name))
            if repo_id is None:
                raise RepoNotFoundError.named(f"{namespace}/{name}")
            return self._tables.repos[repo_id]

    def list_repos(self, query: RepoQuery) -> list[Repo]:
        search = query.search.lower() if query.search else None
        order = query.order
        after = None
        if query.after is not None:
            if order is not RepoOrder.NAME and query.after_key is None:
                raise ValueError(f"a page in {order} order continues after a key")
            name, type = query.after
            after = _sort_key(order, query.after_key, utf8(name), type.value)
        with self._lock:
            likes = Counter(repo_id for repo_id, _ in self._tables.likes)

            def position(repo: Repo) -> tuple[object, ...]:
                return _position(order, repo, likes[repo.id])

            found = [
                repo
                for repo in self._tables.repos.values()
                if (query.type is None or repo.type is query.type)
                and (query.namespace is None or repo.namespace == query.namespace)
                and (search is None or search in repo.full_name.lower())
                and (after is None or position(repo) > after)
                and visible(self._tables, query, repo)
            ]
        found.sort(key=position)
        return found[: query.limit]

    def update_repo(self, repo: Repo) -> None:
        with self._lock:
            stored = self._tables.repos.get(repo.id)
            if stored is None:
                raise RepoNotFoundError.named(repo.full_name)
            changed = replace(
                stored, private=repo.private, description=repo.description, gated=repo.gated
            )
            self._tables.repos[repo.id] = changed

    def rename_repo(self, repo_id: str, namespace: str, name: str) -> None:
        with self._lock:
            tables = self._tables
            stored = tables.repos.get(repo_id)
            if stored is None:
                raise RepoNotFoundError.named(f"{namespace}/{name}")
            key = (stored.type, namespace, name)
            if tables.repo_ids.get(key, repo_id) != repo_id:
                full_name = f"{namespace}/{name}"
                raise RepoExistsError(f"{full_name!r} exists", repo=full_name)
            del tables.repo_ids[stored.type, stored.namespace, stored.name]
            tables.repos[repo_id] = replace(stored, namespace=namespace, name=name)
            tables.repo_ids[key] = repo_id

    def delete_repo(self, repo_id: str, *, at: datetime | None = None) -> None:
        with self._lock:
            tables = self._tables
            if repo_id not in tables.repos:
                return
            now = utc(at or datetime.now(UTC))
            held: list[BucketObject | None] = [
                obj for (r, _), obj in tables.objects.items() if r == repo_id
            ]
            held += [v.object for (r, _, _), v in tables.versions.items() if r == repo_id]
            if any(obj and locked(obj.retention, obj.legal_hold, now) for obj in held):
                raise ObjectLockedError(
                    "the bucket holds object versions under retention or legal hold",
                    repo_id=repo_id,
                )
            repo = tables.repos.pop(repo_id)
            tables.object_locks.pop(repo_id, None)
            del tables.repo_ids[repo.type, repo.namespace, repo.name]
            for rows in (
                tables.refs,
                tables.commits,
                tables.trees,
                tables.objects,
                tables.positions,
                tables.bucket_configurations,
            ):
                for key in [key for key in rows if key[0] == repo_id]:
                    del rows[key]
            for version in [key for key in tables.versions if key[0] == repo_id]:
                del tables.versions[version]
            tables.versioning.pop(repo_id, None)
            tables.version_counters.pop(repo_id, None)
            for said in [key for key in tables.discussion_events if key[0] == repo_id]:
                del tables.discussion_events[said]
            for opened in [key for key in tables.discussions if key[0] == repo_id]:
                del tables.discussions[opened]
            for liked in [key for key in tables.likes if key[0] == repo_id]:
                del tables.likes[liked]
            for tag in [key for key in tables.deleted_tags if key[0] == repo_id]:
                del tables.deleted_tags[tag]
            for grant in [key for key in tables.collaborators if key[0] == repo_id]:
                del tables.collaborators[grant]
            for asked in [key for key in tables.access_requests if key[0] == repo_id]:
                del tables.access_requests[asked]
            for upload in [u.id for u in tables.uploads.values() if u.repo_id == repo_id]:
                del tables.uploads[upload]
                for part in [key for key in tables.parts if key[0] == upload]:
                    del tables.parts[part]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _position(order: RepoOrder, repo: Repo, likes: int) -> tuple[object, ...]:
    """The repo's place in the listing order; ``likes`` is its count of likes."""
    keys: dict[RepoOrder, datetime | int | None] = {
        RepoOrder.UPDATED: repo.updated_at,
        RepoOrder.CREATED: repo.created_at,
        RepoOrder.SIZE: repo.size,
        RepoOrder.LIKES: likes,
    }
    return _sort_key(order, keys.get(order), utf8(repo.full_name), repo.type.value)


def _sort_key(
    order: RepoOrder, key: datetime | int | None, name: bytes, type: str
) -> tuple[object, ...]:
    """Ascending sort keys: the order's key negated (it sorts descending), then ``namespace/
    name`` bytes, then the type's name."""
    if order is RepoOrder.NAME:
        return name, type
    if isinstance(key, datetime):
        return -((key - _EPOCH) // timedelta(microseconds=1)), name, type
    return -(key or 0), name, type


def visible(tables: Tables, query: RepoQuery, repo: Repo) -> bool:
    """Whether ``query`` lists ``repo``, as :class:`RepoQuery` says."""
    if not repo.private:
        return True
    if query.restrict_to and not (
        repo.namespace in query.restrict_to or repo.full_name in query.restrict_to
    ):
        return False
    if query.see_all:
        return True
    if query.viewer_id is None:
        return False
    viewer = tables.users.get(query.viewer_id)
    if viewer is not None and viewer.name == repo.namespace:
        return True
    org_id = tables.org_ids.get(repo.namespace)
    if org_id is not None and (org_id, query.viewer_id) in tables.memberships:
        return True
    return (repo.id, query.viewer_id) in tables.collaborators
