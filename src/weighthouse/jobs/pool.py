"""A pool of worker threads: for each queue, as many threads as its concurrency, each claiming
the queue's oldest runnable job and running it; plus one thread that puts back the jobs of
workers that died. ``weighthouse serve`` runs one in the server's process and
``weighthouse worker`` runs one on its own; any number share one catalog.

An idle thread looks at the catalog every ``poll_seconds``, or at once when a job is submitted
in the same process (:class:`Wakeups`, the embedded engine's
:class:`~weighthouse.domain.ports.JobDispatch`). Jobs submitted elsewhere (another server
process, another host) are found by the poll.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping

from weighthouse.domain.errors import DomainError
from weighthouse.domain.job_runs import JobRuns
from weighthouse.jobs.runner import JobRunner

log = logging.getLogger("weighthouse.jobs")


class Wakeups:
    """Wakes idle threads of this process's pool when a job of their queue is submitted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, threading.Condition] = {}
        self._pending: dict[str, int] = {}

    def queued(self, queue: str) -> None:
        condition = self._condition(queue)
        with condition:
            self._pending[queue] = self._pending.get(queue, 0) + 1
            condition.notify()

    def wait(self, queue: str, timeout: float) -> None:
        """Return when a job of ``queue`` was submitted since the last return, or after
        ``timeout`` seconds."""
        condition = self._condition(queue)
        with condition:
            if not self._pending.get(queue):
                condition.wait(timeout)
            if self._pending.get(queue):
                self._pending[queue] -= 1

    def wake_all(self) -> None:
        with self._lock:
            conditions = list(self._queues.values())
        for condition in conditions:
            with condition:
                condition.notify_all()

    def _condition(self, queue: str) -> threading.Condition:
        with self._lock:
            return self._queues.setdefault(queue, threading.Condition())


class WorkerPool:
    def __init__(
        self,
        runs: JobRuns,
        runner: JobRunner,
        queues: Mapping[str, int],
        *,
        poll_seconds: float,
        recover_seconds: float,
        wakeups: Wakeups | None = None,
        notices: Callable[[], int] | None = None,
    ) -> None:
        """``notices`` sends the job callbacks that are due (one try each) and says how many
        went out; a thread of the pool calls it until the pool stops."""
        self._runs = runs
        self._runner = runner
        self._queues = dict(queues)
        self._poll = poll_seconds
        self._recover = recover_seconds
        self._wakeups = wakeups or Wakeups()
        self._notices = notices
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # Unique per process start, so a restarted worker never mistakes an old lease for its own.
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        for queue, count in sorted(self._queues.items()):
            for slot in range(count):
                worker = f"{self.name}:{queue}:{slot}"
                self._spawn(self._work, queue, worker)
        self._spawn(self._recover_loop)
        if self._notices is not None:
            self._spawn(self._notice_loop, self._notices)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; wait up to ``timeout`` seconds for running jobs. A job still running
        keeps its lease until it runs out, then runs again elsewhere."""
        self._stopping.set()
        self._wakeups.wake_all()
        for thread in self._threads:
            thread.join(timeout / max(1, len(self._threads)))
        self._runner.close()

    def _work(self, queue: str, worker: str) -> None:
        # The app process starts with the first job, not here: an idle server holds none.
        while not self._stopping.is_set():
            try:
                job = self._runs.claim([queue], worker)
            except DomainError:
                log.warning("claiming a job of %s failed", queue, exc_info=True)
                job = None
            if job is None:
                self._wakeups.wait(queue, self._poll)
                continue
            try:
                self._runner.run(job)
            except Exception:
                # The job stays held until its lease runs out, then runs again.
                log.exception("running job %s failed", job.id)

    def _recover_loop(self) -> None:
        while not self._stopping.wait(self._recover):
            try:
                self._runs.recover()
            except DomainError:
                log.warning("recovering jobs failed", exc_info=True)

    def _notice_loop(self, notices: Callable[[], int]) -> None:
        send_notices(notices, self._stopping, self._poll)


def send_notices(notices: Callable[[], int], stopping: threading.Event, poll: float) -> None:
    """Send the job callbacks that are due until ``stopping`` is set, looking again every
    ``poll`` seconds while none is. A thread of its own, so a slow receiver delays only other
    callbacks, never the claims or the recovery of jobs."""
    while not stopping.is_set():
        try:
            sent = notices()
        except DomainError:
            log.warning("sending job callbacks failed", exc_info=True)
            sent = 0
        if not sent:
            stopping.wait(poll)
