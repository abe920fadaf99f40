"""A file's ``securityFileStatus``, as the Hub sends it in expanded tree listings and
``paths-info``, from what the scan app found in the file.

``huggingface_hub`` parses it into ``RepoFile.security`` (``safe``, ``status``, ``av_scan``,
``pickle_import_scan``) and needs both scans present, so each is sent: ``avScan`` as
``unscanned`` (no antivirus runs here), ``pickleImportScan`` from the scan app's verdict with the
globals the pickles import (``pickleImports``: ``module``, ``name``, ``safety``), and the file's
``status`` is that verdict: ``safe``, ``suspicious``, or ``unsafe`` for a dangerous one, as on
the Hub. A file the scan app has not read (not a pickle, or not yet) gets no field at all, so
a client that asks ``security.safe`` of a text file is not told it is unsafe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
