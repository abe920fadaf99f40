"""What runs once a unit of work has committed (``UnitOfWork.after_commit``): standard library
only, so the SQL catalog and the in-memory one share it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger("weighthouse.catalog")


def run_actions(actions: Iterable[Callable[[], None]]) -> None:
    """Call each of ``actions`` in order; one that raises is logged and the others still run:
    what they follow is committed, so its caller must not be told it failed."""
    for action in actions:
        try:
            action()
        except Exception:
            log.exception("an action after a commit failed")
