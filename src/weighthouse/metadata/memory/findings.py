"""Findings of the inspect and scan apps in the in-memory catalog."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from weighthouse.domain.findings_catalog import Finding
from weighthouse.metadata.memory.tables import MemoryTables


class MemoryFindings(MemoryTables):
    def put_findings(self, findings: Sequence[Finding]) -> None:
        with self._lock:
            for finding in findings:
                key = (finding.sha256, finding.app)
                self._tables.findings.setdefault(key, copy.deepcopy(dict(finding.result)))

    def get_findings(self, sha256s: Collection[str]) -> dict[str, dict[str, Mapping[str, Any]]]:
        wanted = set(sha256s)
        with self._lock:
            found: dict[str, dict[str, Mapping[str, Any]]] = {}
            for (sha256, app), result in self._tables.findings.items():
                if sha256 in wanted:
                    found.setdefault(sha256, {})[app] = copy.deepcopy(result)
            return found
