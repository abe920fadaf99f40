"""What the ``inspect`` and ``scan`` apps found in a file, shown with the repos that hold it.

A finding belongs to a file's content (its SHA-256), not to a path or a repo: the same bytes
pushed again, renamed or copied to another repo need no second look. It is recorded in the
unit of work that ends the job that found it (:meth:`~weighthouse.domain.job_runs.JobRuns.
succeed`), from the job's output, which names each file's SHA-256. Findings are only ever read
through a repo the caller may read, at a revision, for the files of that revision
(:class:`Findings`): knowing a hash shows nothing.

Labels summarise findings: ``unsafe-pickle`` for a file the scan calls ``dangerous`` (and for
a repo holding one at that revision).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from weighthouse.domain.access import Principal
from weighthouse.domain.files import Files
from weighthouse.domain.findings_catalog import Finding, FindingsCatalog
from weighthouse.domain.jobs_model import Job, JobStatus
from weighthouse.domain.model import EntryKind, RepoId, TreeListing

UNSAFE_PICKLE = "unsafe-pickle"
FILES_MAX = 10_000
"""Most files of one revision whose findings are looked up; beyond, the rest show none."""
PAGE = 1000
INSPECTED = ("format", "tensor_count", "parameter_count", "dtypes")


def findings_of(job: Job) -> list[Finding]:
    """The findings a succeeded ``inspect`` or ``scan`` job's output holds (files it could not
    read have none); nothing for other jobs."""
    output = job.output or {}
    hashes = output.get("sha256")
    if job.status is not JobStatus.SUCCEEDED or not isinstance(hashes, dict):
        return []
    found: list[Finding] = []
    if job.app == "inspect":
        for item in output.get("files") or ():
            if not isinstance(item, dict) or "error" in item or item.get("path") not in hashes:
                continue
            result = {key: item[key] for key in INSPECTED if key in item}
            found.append(Finding(hashes[item["path"]], "inspect", result))
    elif job.app == "scan":
        flagged = output.get("flagged") or {}
        imports = output.get("imports") or {}
        for path, verdict in (output.get("files") or {}).items():
            if path in hashes and isinstance(verdict, str):
                scanned: dict[str, Any] = {
                    "verdict": verdict,
                    "flagged": list(flagged.get(path) or []),
                }
                # Scans before the imports were listed have only the flagged names.
                if isinstance(imports.get(path), list):
                    scanned["imports"] = imports[path]
                found.append(Finding(hashes[path], "scan", scanned))
    return found


def labels_of(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    scan = results.get("scan") or {}
    return [UNSAFE_PICKLE] if scan.get("verdict") == "dangerous" else []


@dataclass(frozen=True)
class FileFindings:
    path: str
    sha256: str
    inspect: Mapping[str, Any] | None = None
    scan: Mapping[str, Any] | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevisionFindings:
    commit: str
    files: tuple[FileFindings, ...] = ()
    """Files with a finding, by path."""
    labels: tuple[str, ...] = ()
    safetensors: Mapping[str, Any] | None = field(default=None)
    """``{"parameters": {dtype: count}, "total": count}`` over the revision's ``.safetensors``
    files, when every one of them was inspected."""


class _CommitFiles:
    """The files (path to SHA-256) of recently read commits, most recent last, up to
    ``budget`` paths in all. A commit never changes, so what was listed once stays true; the
    findings on those files do change, and are always read afresh."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._held = 0
        self._commits: OrderedDict[tuple[RepoId, str], dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[RepoId, str]) -> dict[str, str] | None:
        with self._lock:
            files = self._commits.get(key)
            if files is not None:
                self._commits.move_to_end(key)
            return files

    def put(self, key: tuple[RepoId, str], files: dict[str, str]) -> None:
        if len(files) > self._budget:
            return
        with self._lock:
            if key in self._commits:
                return
            self._commits[key] = files
            self._held += len(files)
            while self._held > self._budget:
                _, dropped = self._commits.popitem(last=False)
                self._held -= len(dropped)


class Findings:
    def __init__(
        self, catalog: FindingsCatalog, files: Files, remembered_paths: int = 50_000
    ) -> None:
        self._catalog = catalog
        self._files = files
        self._commit_files = _CommitFiles(remembered_paths)

    def at(
        self, principal: Principal, repo_id: RepoId, revision: str, paths: Iterable[str] = ()
    ) -> RevisionFindings:
        """The findings of the files of ``repo_id`` at ``revision`` (only of ``paths``, when
        given), for a caller who may read it; raises as reading its tree would.

        The caller's right to read and the revision's commit are checked on every call; the
        commit's file list is remembered (a commit never changes), since walking a tree of
        10,000 files took over a second and every repo info asks for it."""
        wanted = set(paths)
        # One entry of the root folder is enough to check the caller and resolve the revision
        # (a recursive page reads the whole tree, whatever its limit).
        resolved, _ = self._files.list_tree(principal, repo_id, revision, limit=1)
        commit = resolved.commit.id
        every = self._commit_files.get((repo_id, commit))
        if every is None:
            every = {}
            _, listing = self._files.list_tree(
                principal, repo_id, commit, recursive=True, limit=PAGE
            )
            while True:
                for item in listing.entries:
                    sha = item.entry.sha256
                    if item.entry.kind is not EntryKind.DIRECTORY and sha is not None:
                        every[item.path] = sha
                if listing.next_after is None or len(every) >= FILES_MAX:
                    break
                _, listing = self._files.list_tree(
                    principal, repo_id, commit, recursive=True, after=listing.next_after, limit=PAGE
                )
            self._commit_files.put((repo_id, commit), every)
        entries = {p: sha for p, sha in every.items() if not wanted or p in wanted}
        stored = self._catalog.get_findings(set(entries.values())) if entries else {}
        files = _of(entries, stored)
        labels = sorted({label for f in files for label in f.labels})
        weights = [p for p in entries if p.endswith(".safetensors")]
        return RevisionFindings(
            commit, tuple(files), tuple(labels), _safetensors(weights, entries, stored)
        )

    def of_listing(self, listing: TreeListing) -> dict[str, FileFindings]:
        """Path to findings, for the files of a page :meth:`Files.list_tree` answered the
        caller (who could therefore read them)."""
        entries = {
            item.path: item.entry.sha256
            for item in listing.entries
            if item.entry.kind is not EntryKind.DIRECTORY and item.entry.sha256 is not None
        }
        stored = self._catalog.get_findings(set(entries.values())) if entries else {}
        return {f.path: f for f in _of(entries, stored)}


def _of(
    entries: Mapping[str, str], stored: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[FileFindings]:
    files = []
    for path, sha in sorted(entries.items()):
        results = stored.get(sha)
        if results:
            files.append(
                FileFindings(
                    path,
                    sha,
                    inspect=results.get("inspect"),
                    scan=results.get("scan"),
                    labels=tuple(labels_of(results)),
                )
            )
    return files


def _safetensors(
    weights: list[str],
    entries: Mapping[str, str],
    stored: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, Any] | None:
    if not weights:
        return None
    parameters: dict[str, int] = {}
    for path in weights:
        inspected = stored.get(entries[path], {}).get("inspect")
        if not inspected or not isinstance(inspected.get("dtypes"), dict):
            return None
        for dtype, count in inspected["dtypes"].items():
            parameters[dtype] = parameters.get(dtype, 0) + int(count)
    return {"parameters": parameters, "total": sum(parameters.values())}
