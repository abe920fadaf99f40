"""Findings of the inspect and scan apps, by content; mixed into ``SqlCatalog``."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select

from weighthouse.domain.findings_catalog import Finding
from weighthouse.metadata.tables import file_findings
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import insert_missing

LOOKUP_BATCH = 500
"""SHA-256s per ``IN`` list, well under every database's limit on bound parameters."""


class FindingQueries:
    _engine: Engine

    @retry_transient
    def put_findings(self, findings: Sequence[Finding]) -> None:
        rows = [{"sha256": f.sha256, "app": f.app, "result": dict(f.result)} for f in findings]
        with transaction(self._engine, write=True) as connection:
            insert_missing(connection, file_findings, rows)

    def get_findings(self, sha256s: Collection[str]) -> dict[str, dict[str, Mapping[str, Any]]]:
        wanted = sorted(set(sha256s))
        found: dict[str, dict[str, Mapping[str, Any]]] = {}
        with transaction(self._engine) as connection:
            for start in range(0, len(wanted), LOOKUP_BATCH):
                batch = wanted[start : start + LOOKUP_BATCH]
                statement = select(file_findings).where(file_findings.c.sha256.in_(batch))
                for row in connection.execute(statement):
                    found.setdefault(row.sha256, {})[row.app] = dict(row.result)
        return found
