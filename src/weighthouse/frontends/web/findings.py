"""What the ``inspect`` and ``scan`` apps found in a repo's commit, for its page: parameters
and dtypes of the weight files, and whether a pickle in them is unsafe.

The findings are read through the one findings service
(:class:`~weighthouse.domain.file_findings.Findings`), as the REST and Hub APIs read them, for
every file of the commit the page shows, subfolders included, as REST repo info sums them:
every visitor who may read the repo sees them, an "unsafe pickle" warning above all. The
service remembers a commit's file list, so only a commit's first page walks its tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weighthouse.domain.file_findings import RevisionFindings

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


def findings_of(revision: RevisionFindings) -> Findings | None:
    """The findings on the revision's files, summed; ``None`` when no file has any. Results
    are read defensively: an app's output is data."""
    if not revision.files:
        return None
    parameters: int | None = None
    dtypes: dict[str, int] = {}
    formats: list[str] = []
    verdicts: list[str] = []
    flagged: dict[str, list[str]] = {}
    for file in revision.files:
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
