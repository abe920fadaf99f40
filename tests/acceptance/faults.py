"""A pause a crash test can arm inside the real server's transactions, in every server process.

Crash tests need the server to stop *inside* a transaction, between two of its statements, so
that a kill -9 lands exactly there. :func:`install` adds one SQLAlchemy listener to every
engine. It lives in the test tree and is never installed with the package: a server started
with :func:`server_env` has ``fault_site/`` on its ``PYTHONPATH``, whose ``sitecustomize``
Python's ``site`` imports at the start of every interpreter, so the listener is in the
command's process and in each worker process uvicorn spawns (fresh interpreters that import
nothing of their parent's). The listener is armed through files in
``WEIGHTHOUSE_TEST_FAULT_DIR``:

* the test arms it with :func:`arm`, which writes a statement prefix (``INSERT INTO repos``)
  to a file of its own and renames it onto ``pause-after``, so a listener never reads it half
  written: ``write_text`` truncates first, an empty prefix would match any statement (a
  background job poll's ``SELECT`` among them), and the test's write could then land in the
  file that listener had just claimed;
* after the first statement starting with that prefix runs, in whichever process, the listener
  claims the file by renaming it (so one thread of one process pauses, once), writes its
  process id to a file of its own, renames that onto ``paused`` and blocks that thread,
  transaction still open: ``paused``, once there, always holds a whole process id;
* the test sees ``paused``, kills the server's whole process group, and restarts it: with no
  ``pause-after`` file the listener does nothing.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

FAULT_DIR = "WEIGHTHOUSE_TEST_FAULT_DIR"
ARM = "pause-after"
PAUSED = "paused"
SITE_DIR = Path(__file__).resolve().parent / "fault_site"
REPO_ROOT = Path(__file__).resolve().parents[2]


def server_env(directory: Path) -> dict[str, str]:
    """The variables that put the armable pause into every process of a server."""
    path = [str(SITE_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    return {FAULT_DIR: str(directory), "PYTHONPATH": os.pathsep.join(filter(None, path))}


def arm(directory: Path, statement: str) -> None:
    """Pause the next thread, in any process, that runs a statement starting with ``statement``."""
    if not statement.strip():
        raise ValueError("an empty prefix would pause on any statement")
    staged = directory / f"arming-{uuid.uuid4().hex}"
    staged.write_text(statement)
    staged.rename(directory / ARM)  # atomic: a listener sees no file or the whole prefix


def paused_process(directory: Path) -> int | None:
    """The id of the process whose thread is paused, or ``None`` while none is."""
    try:
        text = (directory / PAUSED).read_text()
    except FileNotFoundError:
        return None
    if not text.isdigit():
        raise AssertionError(f"{directory / PAUSED} holds {text!r}, not a process id")
    return int(text)


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
        if not prefix or not " ".join(statement.split()).upper().startswith(prefix.upper()):
            return
        me = f"{os.getpid()}-{threading.get_ident()}"
        claim = directory / f"claimed-{me}"
        try:
            arm.rename(claim)  # atomic: only the thread whose rename succeeds pauses
        except FileNotFoundError:
            return
        # A file no other process has open, renamed whole onto ``paused``.
        staged = directory / f"pausing-{me}"
        staged.write_text(str(os.getpid()))
        staged.rename(paused)
        forever.wait()

    event.listen(Engine, "after_cursor_execute", after_execute)
