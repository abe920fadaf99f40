"""Small apps for the job runner's tests, installed as ``tests.job_apps:<Class>`` paths."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from weighthouse.apps.contract import AppContext, AppFailed


class Echo:
    """Writes its text as result files ``<job id>/<n>.txt`` after ``seconds`` of reported
    progress, and returns it."""

    name = "echo"
    description = "echo a text"
    inputs: Mapping[str, str] = {}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "copies": {"type": "integer", "minimum": 0, "maximum": 100, "default": 1},
            "seconds": {"type": "number", "minimum": 0, "maximum": 60, "default": 0},
        },
        "required": ["text"],
        "additionalProperties": False,
    }
    time_limit_seconds = 60.0
    max_attempts = 3

    def run(self, context: AppContext) -> Mapping[str, Any]:
        text = context.params["text"]
        steps = int(context.params["seconds"] / 0.05)
        for step in range(steps):
            time.sleep(0.05)
            context.progress(step + 1, steps, "waiting")
        for n in range(context.params["copies"]):
            context.write_result(f"{context.job_id}/{n}.txt", text.encode())
        context.log(f"echoed {text!r}")
        return {"text": text}


class Sleep:
    """Sleeps ``seconds`` in steps, reporting progress at each (so it can be cancelled) unless
    ``quiet``; with ``marker`` it writes its process id to that file when it starts, for tests
    that wait for a running job and look for its process."""

    name = "sleep"
    description = "sleep"
    inputs: Mapping[str, str] = {}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "seconds": {"type": "number", "minimum": 0, "default": 1},
            "quiet": {"type": "boolean", "default": False},
            "marker": {"type": "string", "default": ""},
        },
    }
    time_limit_seconds = 2.0
    max_attempts = 2

    def run(self, context: AppContext) -> Mapping[str, Any]:
        if context.params["marker"]:
            Path(context.params["marker"]).write_text(str(os.getpid()))
        steps = max(1, int(context.params["seconds"] / 0.05))
        for step in range(steps):
            time.sleep(0.05)
            if not context.params["quiet"]:
                context.progress(step + 1, steps, "sleeping")
        return {"slept": context.params["seconds"]}


class Fail:
    name = "fail"
    description = "fail, explained or not"
    inputs: Mapping[str, str] = {}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "crash": {"type": "boolean"},
            "exit": {"type": "integer", "minimum": 1, "maximum": 255},
        },
    }
    time_limit_seconds = 60.0
    max_attempts = 1

    def run(self, context: AppContext) -> Mapping[str, Any]:
        if "exit" in context.params:
            # Ends the process that runs the app: only ever run in an app process of its own.
            os._exit(context.params["exit"])
        if context.params.get("crash"):
            raise ZeroDivisionError(context.params.get("message", ""))
        raise AppFailed(context.params.get("message", "it failed"))


class Digest:
    """Re-hashes every file of its input and writes ``sha256sums.txt``."""

    name = "digest"
    description = "list the SHA-256 of every file"
    inputs: Mapping[str, str] = {"repo": "any"}
    parameters_schema: Mapping[str, Any] = {"type": "object"}
    time_limit_seconds = 60.0
    max_attempts = 1

    def run(self, context: AppContext) -> Mapping[str, Any]:
        repo = context.inputs["repo"]
        lines = []
        files = repo.files()
        folder = repo.materialise()
        for n, entry in enumerate(files):
            with repo.open(entry.path) as stream:
                streamed = hashlib.sha256(stream.read()).hexdigest()
            on_disk = hashlib.sha256((folder / entry.path).read_bytes()).hexdigest()
            if streamed != entry.sha256 or on_disk != entry.sha256:
                raise AppFailed(f"{entry.path} does not match its digest")
            lines.append(f"{entry.sha256}  {entry.path}\n")
            context.progress(n + 1, len(files), "files")
        context.write_result("sha256sums.txt", "".join(lines).encode())
        return {"files": len(files), "commit": repo.commit}


ALL = [f"tests.job_apps:{cls.__name__}" for cls in (Echo, Sleep, Fail, Digest)]
