"""A file's ``securityFileStatus``, as the Hub sends it in expanded tree listings and
``paths-info``, from what the scan app found in the file.

``huggingface_hub`` parses it into ``RepoFile.security`` (``safe``, ``status``, ``av_scan``,
``pickle_import_scan``) and needs both scans present, so each is sent: ``avScan`` as
``unscanned`` (no antivirus runs here), ``pickleImportScan`` from the scan app's verdict with the
globals the pickles import (``pickleImports``: ``module``, ``name``, ``safety``), and the file's
``status`` is that verdict: ``safe``, ``suspicious``, or ``unsafe`` for a dangerous one, as on
the Hub. A file the scan app has not read (not a pickle, or not yet) gets no field at all, so
a client that asks ``security.safe`` of a text file is not told it is unsafe.

Repo info with ``securityStatus=true`` (``model_info(securityStatus=True)``) sums them up as
``securityRepoStatus``: ``scansDone`` once the scan app has read every file with a pickle's
suffix (the only files it reads), and ``filesWithIssues``, each file it did not call safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from weighthouse.apps.weight_files import PICKLE_SUFFIXES
from weighthouse.domain.file_findings import FileFindings

UNSCANNED = "unscanned"
# The scan app's verdict on a file, and on each import, in the Hub's words.
STATUS = {"safe": "safe", "suspicious": "suspicious", "dangerous": "unsafe"}
SAFETY = {"safe": "innocuous", "suspicious": "suspicious", "dangerous": "dangerous"}


def security_status(scan: Mapping[str, Any]) -> dict[str, Any]:
    """``securityFileStatus`` for a file of which the scan app found ``scan``."""
    verdict = scan.get("verdict")
    status = STATUS.get(verdict, UNSCANNED) if isinstance(verdict, str) else UNSCANNED
    pickle_scan: dict[str, Any] = {"status": status}
    imports = scan.get("imports")
    # Scans from before imports were listed name only the flagged globals, without a verdict each.
    if status != UNSCANNED and isinstance(imports, list):
        pickle_scan["pickleImports"] = [
            {
                "module": item["module"],
                "name": item["name"],
                "safety": SAFETY.get(str(item.get("verdict")), "suspicious"),
            }
            for item in imports
            if isinstance(item, dict) and "module" in item and "name" in item
        ]
    return {"status": status, "avScan": {"status": UNSCANNED}, "pickleImportScan": pickle_scan}


def repo_status(paths: Iterable[str], found: Mapping[str, FileFindings]) -> dict[str, Any]:
    """``securityRepoStatus`` for a revision's files ``paths``, of which ``found`` holds what
    the inspect and scan apps found."""
    scans = {path: found[path].scan for path in found if found[path].scan is not None}
    pickles = [p for p in paths if p.lower().endswith(PICKLE_SUFFIXES)]
    issues = []
    for path in sorted(scans):
        status = security_status(scans[path] or {})["status"]
        if status not in ("safe", UNSCANNED):
            issues.append({"path": path, "level": status})
    return {"scansDone": all(p in scans for p in pickles), "filesWithIssues": issues}
