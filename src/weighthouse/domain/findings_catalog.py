"""The catalog's role for findings: what the ``inspect`` and ``scan`` apps found in a file's
content, by its SHA-256 (see :mod:`~weighthouse.domain.file_findings`). Part of
:class:`~weighthouse.domain.catalog.Catalog`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Finding:
    sha256: str
    app: str
    """``inspect`` or ``scan``."""
    result: Mapping[str, Any]
    """inspect: ``format``, ``tensor_count``, ``parameter_count``, ``dtypes``
    (parameters per dtype). scan: ``verdict`` (``safe``, ``suspicious``, ``dangerous``) and
    ``flagged`` (the globals that decided it)."""


class FindingsCatalog(Protocol):
    def put_findings(self, findings: Sequence[Finding]) -> None:
        """Store each finding; one already stored for the same content and app stays."""
        ...

    def get_findings(self, sha256s: Collection[str]) -> dict[str, dict[str, Mapping[str, Any]]]:
        """SHA-256 to app to result, for those of ``sha256s`` with findings."""
        ...
