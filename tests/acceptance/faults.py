"""``python -m tests.acceptance.faults serve …``: the real server, with a pause a test can arm.

Crash tests need the server to stop *inside* a transaction, between two of its statements, so
that a kill -9 lands exactly there. This entry point (which lives in the test tree and is never
installed with the package) adds one SQLAlchemy listener to every engine and then runs the
ordinary command line. The listener is armed through files in ``WEIGHTHOUSE_TEST_FAULT_DIR``:

* the test writes a statement prefix (``INSERT INTO repos``) to ``pause-after``;
* after the first statement starting with that prefix runs, the listener renames the file to
  ``paused`` (so one thread pauses, once) and blocks that thread, transaction still open;
* the test sees ``paused``, kills the server, and restarts it: with no ``pause-after`` file the
  listener does nothing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

FAULT_DIR = "WEIGHTHOUSE_TEST_FAULT_DIR"
ARM = "pause-after"
PAUSED = "paused"


def install(directory: Path) -> None:
    arm, paused = directory / ARM, directory / PAUSED
    forever = threading.Event()

    def after_execute(*args: Any) -> None:
        statement: str = args[2]
        if not arm.exists():
            return
        try:
            prefix = arm.read_text().strip()
        except FileNotFoundError:
            return
        if not " ".join(statement.split()).upper().startswith(prefix.upper()):
            return
        try:
            arm.rename(paused)  # only the thread whose rename succeeds pauses
        except FileNotFoundError:
            return
        forever.wait()

    event.listen(Engine, "after_cursor_execute", after_execute)


if __name__ == "__main__":
    install(Path(os.environ[FAULT_DIR]))

    from weighthouse.cli.main import main

    main()
