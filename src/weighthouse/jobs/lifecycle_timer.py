"""The server's periodic lifecycle run: every ``s3.lifecycle_interval_seconds`` a thread carries
out the buckets' lifecycle rules (:class:`~weighthouse.domain.lifecycle_runs.LifecycleRuns`).

``weighthouse serve`` starts one in its own process, as it does the job pool, so a server of N
processes runs it once, not N times. A run is safe beside any other (another host's server,
``weighthouse gc``), only wasted: each change is a conditional write of the catalog.
"""

from __future__ import annotations

import logging
import threading

from weighthouse.domain.errors import DomainError
from weighthouse.domain.lifecycle_runs import LifecycleRuns

log = logging.getLogger("weighthouse.lifecycle")


class LifecycleTimer:
    def __init__(self, runs: LifecycleRuns, interval_seconds: float) -> None:
        self._runs = runs
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="weighthouse-lifecycle", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the run in progress, if any, waiting up to ``timeout`` seconds for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> None:
        try:
            report = self._runs.apply()
        except DomainError:
            log.warning(
                "the lifecycle run failed; it runs again in %ss", self._interval, exc_info=True
            )
            return
        changed = (
            report.objects_expired
            + report.versions_removed
            + report.delete_markers_removed
            + report.uploads_aborted
        )
        if changed:
            log.info(
                "lifecycle: %d objects expired, %d noncurrent versions and %d delete markers "
                "removed, %d multipart uploads aborted in %d buckets",
                report.objects_expired,
                report.versions_removed,
                report.delete_markers_removed,
                report.uploads_aborted,
                report.buckets,
            )

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval):
            self.run_once()
