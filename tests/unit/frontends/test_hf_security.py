"""``securityFileStatus`` from the scan app's findings, as ``huggingface_hub`` parses it into
``RepoFile.security``."""

from __future__ import annotations

from typing import Any

import pytest
from huggingface_hub.hf_api import RepoFile

from weighthouse.frontends.hf.security import security_status

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
