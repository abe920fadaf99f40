"""What the ``inspect`` and ``scan`` apps found in a repo's commit, for its page: parameters
and dtypes of the weight files, and whether a pickle in them is unsafe.

The findings are read through the one findings service
(:class:`~weighthouse.domain.file_findings.Findings`), as the REST and Hub APIs read them, for
the files of the tree page the visitor was shown (so they could read them): every visitor who
may read the repo sees them, an "unsafe pickle" warning above all, and the page costs one more
catalog read, not a walk of the whole tree (a repo of 10,000 files took two seconds so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from weighthouse.domain.file_findings import Findings as FindingsService
from weighthouse.domain.model import PathEntry, TreeListing

LABELS = {"dangerous": "unsafe pickle", "suspicious": "suspicious pickle"}
RANK = {"dangerous": 2, "suspicious": 1}
"""Scan verdicts from the worst; any other verdict ranks below these."""


@dataclass(frozen=True)
class Findings:
    parameters: int | None = None
    dtypes: dict[str, int] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    verdict: str | None = None
    flagged: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        """``unsafe pickle`` when the scan found a pickle that runs code when loaded."""
        return LABELS.get(self.verdict or "")


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def findings_of(findings: FindingsService, shown: Sequence[PathEntry]) -> Findings | None:
    """The findings on the files among ``shown`` (entries the visitor's tree listing
    answered), summed; ``None`` when no file has any. Results are read defensively: an app's
    output is data."""
    found = findings.of_listing(TreeListing(tuple(shown), None))
    if not found:
        return None
    parameters: int | None = None
    dtypes: dict[str, int] = {}
    formats: list[str] = []
    verdicts: list[str] = []
    flagged: dict[str, list[str]] = {}
    for file in found.values():
        inspected = file.inspect or {}
        if inspected:
            parameters = (parameters or 0) + _number(inspected.get("parameter_count"))
            kind = inspected.get("format")
            if isinstance(kind, str) and kind not in formats:
                formats.append(kind)
            counts = inspected.get("dtypes")
            for dtype, count in (counts if isinstance(counts, dict) else {}).items():
                dtypes[str(dtype)] = dtypes.get(str(dtype), 0) + _number(count)
        scanned = file.scan or {}
        if isinstance(scanned.get("verdict"), str):
            verdicts.append(scanned["verdict"])
            why = scanned.get("flagged")
            if isinstance(why, list) and why:
                flagged[file.path] = [str(x) for x in why]
    verdict = max(verdicts, key=lambda v: RANK.get(v, 0), default=None)
    return Findings(
        parameters=parameters,
        dtypes=dict(sorted(dtypes.items())),
        formats=formats,
        verdict=verdict,
        flagged=flagged,
    )
