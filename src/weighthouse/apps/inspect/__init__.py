"""The ``inspect`` app: what a model's weight files hold, read without executing any of them.

For each safetensors, GGUF, ONNX and PyTorch file of its ``model`` input it records the
format, every tensor's name, shape and dtype, and the parameter counts, as one JSON result per
file (``files/<path>.json``) and a summary (``inspect.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from weighthouse.apps.contract import AppContext, AppFailed
from weighthouse.apps.inspect.formats import inspect_stream
from weighthouse.apps.weight_files import (
    PATHS_SCHEMA,
    RESULT_FILES_SCHEMA,
    WEIGHT_SUFFIXES,
    selected_files,
)

SUMMARY = "inspect.json"


class InspectApp:
    name = "inspect"
    description = "Formats, tensor names, shapes, dtypes and parameter counts of weight files."
    inputs: Mapping[str, str] = {"model": "any"}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {"paths": PATHS_SCHEMA, "result_files": RESULT_FILES_SCHEMA},
        "additionalProperties": False,
    }
    time_limit_seconds = 600.0
    max_attempts = 3

    def run(self, context: AppContext) -> Mapping[str, Any]:
        """Inspect each selected file; a file that cannot be read is recorded with its error.
        Raises :class:`AppFailed` when files were selected and none could be read."""
        repo = context.inputs["model"]
        files = selected_files(context, repo, WEIGHT_SUFFIXES)
        summary: dict[str, Any] = {"repo": repo.name, "commit": repo.commit, "files": []}
        failures = 0
        write = bool(context.params.get("result_files", True))
        for number, entry in enumerate(files):
            context.progress(number, len(files), entry.path)
            with repo.open(entry.path) as stream:
                try:
                    result = inspect_stream(entry.path, stream).as_json(entry.path)
                except AppFailed as e:
                    failures += 1
                    result = {"path": entry.path, "error": str(e)}
            if write:
                context.write_result(f"files/{entry.path}.json", _json(result))
            summary["files"].append({k: v for k, v in result.items() if k != "tensors"})
            context.log(f"{entry.path}: {result.get('format', 'error')}")
        context.progress(len(files), len(files), "done")
        if files and failures == len(files):
            errors = "; ".join(f"{f['path']}: {f['error']}" for f in summary["files"][:3])
            raise AppFailed(f"no file could be inspected: {errors}")
        read = [f for f in summary["files"] if "error" not in f]
        summary["tensor_count"] = sum(f["tensor_count"] for f in read)
        summary["parameter_count"] = sum(f["parameter_count"] for f in read)
        summary["failed"] = failures
        # Each file's content, so the findings can be shown wherever the same bytes are.
        summary["sha256"] = {entry.path: entry.sha256 for entry in files}
        if not write:
            return summary | {"file_count": len(files)}
        context.write_result(SUMMARY, _json(summary))
        return {k: v for k, v in summary.items() if k != "files"} | {"file_count": len(files)}


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True, allow_nan=False).encode()
