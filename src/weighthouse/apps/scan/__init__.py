"""The ``scan`` app: flags pickles that would run code when loaded, without loading them.

Each ``.bin``, ``.pt``, ``.pth``, ``.ckpt`` and ``.pkl`` file of its ``model`` input (pickles
inside PyTorch zips included) gets a verdict, ``safe``, ``suspicious`` or ``dangerous``, with
the globals its pickles import (:mod:`weighthouse.apps.scan.verdict`). Results: one JSON per
file (``files/<path>.json``) and a summary (``scan.json``); the job's output carries the repo's
verdict, the worst of its files'.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from weighthouse.apps.contract import AppContext
from weighthouse.apps.scan.files import scan_stream
from weighthouse.apps.scan.verdict import worst
from weighthouse.apps.weight_files import (
    PATHS_SCHEMA,
    PICKLE_SUFFIXES,
    RESULT_FILES_SCHEMA,
    selected_files,
)

SUMMARY = "scan.json"
IMPORTS_SHOWN = 100
"""Most imports of one file the job's output lists (the worst first; the result file has all):
a crafted pickle may name thousands, and the output is stored with the job and its findings."""


class ScanApp:
    name = "scan"
    description = "Flags pickled files that import code beyond what loading tensors needs."
    inputs: Mapping[str, str] = {"model": "any"}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {"paths": PATHS_SCHEMA, "result_files": RESULT_FILES_SCHEMA},
        "additionalProperties": False,
    }
    time_limit_seconds = 600.0
    max_attempts = 3

    def run(self, context: AppContext) -> Mapping[str, Any]:
        repo = context.inputs["model"]
        files = selected_files(context, repo, PICKLE_SUFFIXES)
        verdicts: dict[str, str] = {}
        flagged: dict[str, list[str]] = {}
        imports: dict[str, list[dict[str, str]]] = {}
        write = bool(context.params.get("result_files", True))
        for number, entry in enumerate(files):
            context.progress(number, len(files), entry.path)
            with repo.open(entry.path) as stream:
                result = scan_stream(stream).as_json(entry.path)
            if write:
                context.write_result(f"files/{entry.path}.json", _json(result))
            verdicts[entry.path] = result["verdict"]
            imports[entry.path] = result["imports"][:IMPORTS_SHOWN]
            if result["dangerous"] or result["suspicious"]:
                flagged[entry.path] = result["dangerous"] + result["suspicious"]
            context.log(f"{entry.path}: {result['verdict']}")
        context.progress(len(files), len(files), "done")
        summary = {
            "repo": repo.name,
            "commit": repo.commit,
            "verdict": worst(verdicts.values()),
            "files": verdicts,
            "flagged": flagged,
            "imports": imports,
            # Each file's content, so the verdicts can be shown wherever the same bytes are.
            "sha256": {entry.path: entry.sha256 for entry in files},
        }
        if write:
            context.write_result(SUMMARY, _json(summary))
        return summary


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True).encode()
