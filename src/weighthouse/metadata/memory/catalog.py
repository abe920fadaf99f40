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
from collections.abc import Iterator

from weighthouse.metadata.memory.accounts import MemoryAccounts
from weighthouse.metadata.memory.audit import MemoryAudit
from weighthouse.metadata.memory.blob_sources import MemoryBlobSources
from weighthouse.metadata.memory.history import MemoryHistory
from weighthouse.metadata.memory.objects import MemoryObjects
from weighthouse.metadata.memory.organizations import MemoryOrganizations
from weighthouse.metadata.memory.repos import MemoryRepos
from weighthouse.metadata.memory.tables import MemoryTables


class MemoryCatalog(
    MemoryAccounts,
    MemoryOrganizations,
    MemoryAudit,
    MemoryRepos,
    MemoryHistory,
    MemoryObjects,
    MemoryBlobSources,
):
    """An empty catalog in memory, safe to share between threads."""

    def __init__(self) -> None:
        MemoryTables.__init__(self)
        self._depth = 0

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """The block runs with the catalog to itself: other threads' calls wait until it ends,
        so they never see its changes before they are final. When the outermost block raises,
        the tables go back to the snapshot taken as it began.

        An exception that leaves a nested block undoes nothing by itself: the outermost block
        decides, as a nested block joins the outer transaction rather than opening a savepoint.
        """
        with self._lock:
            snapshot = self._tables.copy() if self._depth == 0 else None
            self._depth += 1
            try:
                yield
            except BaseException:
                if snapshot is not None:
                    self._tables = snapshot
                raise
            finally:
                self._depth -= 1

    def check_ready(self) -> None:
        """Memory is always reachable."""
