"""What the ``inspect`` and ``scan`` apps found in a repo's commit, for its page: parameters
and dtypes of the weight files, and whether a pickle in them is unsafe.

The findings are the outputs of jobs on that commit, read through the one jobs service: so a
visitor sees those of the jobs they may see (their own, such as the ones their push queued,
or everyone's for a site admin), and nothing is read twice from the catalog by other means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weighthouse.domain.access import Principal
from weighthouse.domain.jobs import Jobs
from weighthouse.domain.jobs_model import Job, JobStatus
from weighthouse.domain.model import Repo

JOBS_LOOKED_AT = 20
"""The newest finished jobs of each app looked through for the commit's."""
LABELS = {"dangerous": "unsafe pickle", "suspicious": "suspicious pickle"}


@dataclass(frozen=True)
class Findings:
    parameters: int | None = None
    dtypes: dict[str, int] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    inspect_job: str | None = None
    verdict: str | None = None
    flagged: dict[str, list[str]] = field(default_factory=dict)
    scan_job: str | None = None

    @property
    def label(self) -> str | None:
        """``unsafe pickle`` when the scan found a pickle that runs code when loaded."""
        return LABELS.get(self.verdict or "")


def _latest(jobs: Jobs, principal: Principal, app: str, repo: Repo, commit: str) -> Job | None:
    found = jobs.list(
        principal,
        app=app,
        status=JobStatus.SUCCEEDED,
        limit=JOBS_LOOKED_AT,
        everyone=principal.is_admin,
    )
    for job in found:
        for pinned in job.inputs:
            if (pinned.repo_type, pinned.repo, pinned.commit) == (
                repo.type,
                repo.full_name,
                commit,
            ):
                return job
    return None


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def findings_of(jobs: Jobs, principal: Principal, repo: Repo, commit: str) -> Findings | None:
    """The findings of the newest ``inspect`` and ``scan`` jobs on ``commit`` the visitor may
    see; ``None`` when there are none. Outputs are read defensively: an app's output is data."""
    inspected = _latest(jobs, principal, "inspect", repo, commit)
    scanned = _latest(jobs, principal, "scan", repo, commit)
    if inspected is None and scanned is None:
        return None
    parameters: int | None = None
    dtypes: dict[str, int] = {}
    formats: list[str] = []
    if inspected is not None and isinstance(inspected.output, dict):
        parameters = _number(inspected.output.get("parameter_count"))
        files = inspected.output.get("files")
        for entry in files if isinstance(files, list) else []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("format"), str) and entry["format"] not in formats:
                formats.append(entry["format"])
            counts = entry.get("dtypes")
            for dtype, count in (counts if isinstance(counts, dict) else {}).items():
                dtypes[str(dtype)] = dtypes.get(str(dtype), 0) + _number(count)
    verdict: str | None = None
    flagged: dict[str, list[str]] = {}
    if scanned is not None and isinstance(scanned.output, dict):
        verdict = str(scanned.output.get("verdict", "")) or None
        marked = scanned.output.get("flagged")
        if isinstance(marked, dict):
            flagged = {
                str(k): [str(x) for x in v] for k, v in marked.items() if isinstance(v, list)
            }
    return Findings(
        parameters=parameters,
        dtypes=dict(sorted(dtypes.items())),
        formats=formats,
        inspect_job=inspected.id if inspected else None,
        verdict=verdict,
        flagged=flagged,
        scan_job=scanned.id if scanned else None,
    )
