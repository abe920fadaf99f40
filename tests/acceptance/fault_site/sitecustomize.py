"""Arms :mod:`tests.acceptance.faults` in every interpreter started with this folder on its
``PYTHONPATH`` and ``WEIGHTHOUSE_TEST_FAULT_DIR`` set: Python's ``site`` imports
``sitecustomize`` at start-up, in a server's own process and in each worker it spawns."""

from __future__ import annotations

import os
from pathlib import Path

if os.environ.get("WEIGHTHOUSE_TEST_FAULT_DIR"):
    from tests.acceptance.faults import FAULT_DIR, install

    install(Path(os.environ[FAULT_DIR]))
