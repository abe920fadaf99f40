"""An app whose module takes longer to import in an app's process than its time limit allows
to run, as an app importing a large framework does on a busy host: its job must still succeed,
since the time limit runs from when the app is ready. Imported in the tests' own process it
does not sleep, so loading the apps there stays quick."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from weighthouse.apps.contract import AppContext

IMPORT_SECONDS = 1.5
"""Longer than the time limit."""

# An app's process runs ``python -m weighthouse.jobs.app_process``.
if getattr(sys.modules["__main__"].__spec__, "name", None) == "weighthouse.jobs.app_process":
    time.sleep(IMPORT_SECONDS)


class SlowStart:
    name = "slow_start"
    description = "start slowly, then run quickly"
    inputs: Mapping[str, str] = {}
    parameters_schema: Mapping[str, Any] = {"type": "object"}
    time_limit_seconds = 1.0
    max_attempts = 1

    def run(self, context: AppContext) -> Mapping[str, Any]:
        context.progress(1, 1, "started")
        return {"started": True}
