"""``securityFileStatus`` from the scan app's findings, as ``huggingface_hub`` parses it into
``RepoFile.security``."""

from __future__ import annotations

from typing import Any

import pytest
from huggingface_hub.hf_api import RepoFile

from weighthouse.domain.file_findings import FileFindings
from weighthouse.frontends.hf.security import repo_status, security_status

pytestmark = pytest.mark.unit

ENTRY = {"type": "file", "oid": "0" * 40, "size": 7, "path": "pytorch_model.bin"}


def parsed(scan: dict[str, Any]) -> Any:
    return RepoFile(**ENTRY, securityFileStatus=security_status(scan)).security


def test_a_dangerous_pickle_is_unsafe_with_each_import_s_safety() -> None:
    security = parsed(
        {
            "verdict": "dangerous",
            "flagged": ["posix.system", "zipfile.ZipInfo"],
            "imports": [
                {"module": "posix", "name": "system", "verdict": "dangerous"},
                {"module": "zipfile", "name": "ZipInfo", "verdict": "suspicious"},
                {"module": "torch._utils", "name": "_rebuild_tensor_v2", "verdict": "safe"},
            ],
        }
    )
    assert (security.safe, security.status) == (False, "unsafe")
    assert security.av_scan == {"status": "unscanned"}
    assert security.pickle_import_scan == {
        "status": "unsafe",
        "pickleImports": [
            {"module": "posix", "name": "system", "safety": "dangerous"},
            {"module": "zipfile", "name": "ZipInfo", "safety": "suspicious"},
            {"module": "torch._utils", "name": "_rebuild_tensor_v2", "safety": "innocuous"},
        ],
    }


def test_safe_and_suspicious_verdicts_keep_their_names() -> None:
    safe = parsed({"verdict": "safe", "flagged": [], "imports": []})
    assert (safe.safe, safe.status, safe.pickle_import_scan["pickleImports"]) == (True, "safe", [])
    suspicious = parsed({"verdict": "suspicious", "flagged": ["a.B"]})
    assert (suspicious.safe, suspicious.status) == (False, "suspicious")


def test_a_scan_from_before_imports_were_listed_names_none() -> None:
    """Its flagged names alone cannot say where each module ends, nor which was the worst."""
    security = parsed({"verdict": "dangerous", "flagged": ["posix.system"]})
    assert security.pickle_import_scan == {"status": "unsafe"}


def test_a_verdict_this_version_does_not_know_is_not_called_safe() -> None:
    security = parsed({"verdict": "odd", "imports": [{"module": "m", "name": "n"}]})
    assert (security.safe, security.status) == (False, "unscanned")
    assert security.pickle_import_scan == {"status": "unscanned"}


def test_the_repo_status_waits_for_every_pickle_and_names_the_files_not_called_safe() -> None:
    def found(path: str, verdict: str) -> FileFindings:
        return FileFindings(path, "0" * 64, scan={"verdict": verdict, "flagged": []})

    paths = ["README.md", "a.bin", "b.pt", "c.pkl", "model.safetensors"]
    scanned = {
        "a.bin": found("a.bin", "safe"),
        "b.pt": found("b.pt", "dangerous"),
        "model.safetensors": FileFindings("model.safetensors", "1" * 64, inspect={"format": "x"}),
    }
    assert repo_status(paths, scanned) == {
        "scansDone": False,  # c.pkl has not been read yet
        "filesWithIssues": [{"path": "b.pt", "level": "unsafe"}],
    }
    scanned["c.pkl"] = found("c.pkl", "suspicious")
    status = repo_status(paths, scanned)
    assert status["scansDone"] is True
    assert status["filesWithIssues"] == [
        {"path": "b.pt", "level": "unsafe"},
        {"path": "c.pkl", "level": "suspicious"},
    ]
    assert repo_status(["README.md"], {}) == {"scansDone": True, "filesWithIssues": []}
