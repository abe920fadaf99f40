"""``MemoryCatalog``: the whole :class:`~weighthouse.domain.catalog.Catalog` in process memory.

For unit tests of the use cases and for throw-away servers: nothing survives the process. It
keeps the SQL catalog's semantics, checked by the same contract suite: UTF-8 byte order and
case-sensitive names, one namespace for users and organisations, the same pagination,
compare-and-swap on branches and conditional object writes, and the same errors.

One re-entrant lock guards every table. Each call holds it for its whole run, so calls are
atomic and threads never see a half-made change; :meth:`MemoryCatalog.atomic` holds it across
a block of calls and keeps a snapshot of the tables to restore if the block raises.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

from weighthouse.metadata.commit_actions import run_actions
from weighthouse.metadata.memory.access_keys import MemoryAccessKeys
from weighthouse.metadata.memory.access_requests import MemoryAccessRequests
from weighthouse.metadata.memory.accounts import MemoryAccounts
from weighthouse.metadata.memory.audit import MemoryAudit
from weighthouse.metadata.memory.blob_sources import MemoryBlobSources
from weighthouse.metadata.memory.bucket_configurations import MemoryBucketConfigurations
from weighthouse.metadata.memory.discussions import MemoryDiscussions
from weighthouse.metadata.memory.findings import MemoryFindings
from weighthouse.metadata.memory.history import MemoryHistory
from weighthouse.metadata.memory.jobs import MemoryJobs
from weighthouse.metadata.memory.likes import MemoryLikes
from weighthouse.metadata.memory.multipart import MemoryMultipart
from weighthouse.metadata.memory.objects import MemoryObjects
from weighthouse.metadata.memory.organizations import MemoryOrganizations
from weighthouse.metadata.memory.repos import MemoryRepos

T = TypeVar("T")


class MemoryCatalog(
    MemoryAccounts,
    MemoryOrganizations,
    MemoryAudit,
    MemoryRepos,
    MemoryHistory,
    MemoryObjects,
    MemoryMultipart,
    MemoryBucketConfigurations,
    MemoryBlobSources,
    MemoryAccessKeys,
    MemoryJobs,
    MemoryAccessRequests,
    MemoryDiscussions,
    MemoryFindings,
    MemoryLikes,
):
    """An empty catalog in memory, safe to share between threads."""

    local_reads = True
    loop_writes = True

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """The block works on a copy of the tables that replaces the committed ones when the
        outermost block ends normally, and is dropped when it raises: other threads never see
        its changes before they are final, and their writes wait until it ends.

        An exception that leaves a nested block undoes nothing by itself: the outermost block
        decides, as a nested block joins the outer transaction.
        """
        actions: list[Callable[[], None]] = []
        with self._unit_lock:
            outermost = getattr(self._units, "working", None) is None
            if outermost:
                with self._lock:
                    self._units.working = self._committed.copy()
                    self._units.after_commit = actions
            try:
                yield
                if outermost:
                    with self._lock:
                        self._committed = self._units.working
            finally:
                if outermost:
                    self._units.working = None
                    self._units.after_commit = None
        # Outside the locks: an action may well read the catalog. Reached only on a commit.
        if outermost:
            run_actions(actions)

    def run_atomic(self, work: Callable[[], T]) -> T:
        """``work`` inside :meth:`atomic`. Memory has no transient conflicts, so it runs once."""
        with self.atomic():
            return work()

    def after_commit(self, action: Callable[[], None]) -> None:
        pending: list[Callable[[], None]] | None = getattr(self._units, "after_commit", None)
        if pending is None:
            run_actions([action])
        else:
            pending.append(action)

    def check_ready(self) -> None:
        """Memory is always reachable."""


WRITES = (
    "add_user", "set_password_hash", "set_user_disabled", "add_token", "revoke_token",
    "touch_token", "add_session", "revoke_session", "add_access_key", "revoke_access_key",
    "touch_access_key", "add_org", "set_member", "remove_member",
    "set_collaborator", "remove_collaborator", "record_event", "add_repo", "update_repo",
    "delete_repo", "create_ref", "delete_ref", "save_commit", "put_object", "delete_object",
    "record_blob_upload", "prune_blob_uploads", "add_upload", "put_part", "end_upload",
    "prune_uploads", "record_xorb", "add_job", "claim_job", "update_job", "request_cancel",
    "update_notice", "put_findings", "set_object_tags", "set_bucket_versioning",
    "delete_object_version", "set_object_version_tags", "set_bucket_object_lock",
    "change_object_lock", "set_object_version_acl",
)  # fmt: skip
"""The methods that change the tables: outside a unit they wait for other threads' units."""


def _waits_for_units(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def write(self: MemoryCatalog, *args: object, **kwargs: object) -> T:
        with self._unit_lock:
            return method(self, *args, **kwargs)

    return write


for _name in WRITES:
    setattr(MemoryCatalog, _name, _waits_for_units(getattr(MemoryCatalog, _name)))
