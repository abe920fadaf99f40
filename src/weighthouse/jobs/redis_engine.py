"""The Redis-backed engine (``jobs.engine = "redis"``): dispatch on dramatiq with its Redis
broker, for workers on many hosts.

The catalog stays the state of record; a dramatiq message is only a hint that a queue has a
job (:class:`~weighthouse.domain.ports.JobDispatch`). A dramatiq worker thread that takes one
claims the queue's oldest runnable job from the catalog, with a lease, and runs it as the
embedded pool does; a hint that finds nothing is dropped. So a message may be lost or come
twice without harm:

* lost (Redis restarted without persistence, a worker killed after taking it, a submit while
  Redis was down): the sweeper of every pool puts back the jobs of dead workers (lease
  expiry) and sends hints again for the jobs that have waited ``redispatch_seconds`` beyond
  the hints still waiting in Redis;
* duplicated: the second hint claims another job, or nothing. A job is held by one worker at
  a time and its ending is a compare-and-swap, so its results are committed once.

dramatiq's middleware (its retries, time and age limits) is left out: the catalog counts
attempts and schedules retries, the runner enforces the time limit, and a retried hint would
only be a duplicate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from weighthouse.domain.errors import DomainError
from weighthouse.domain.job_runs import JobRuns
from weighthouse.jobs.pool import send_notices
from weighthouse.jobs.runner import JobRunner

if TYPE_CHECKING:
    from dramatiq import Message, Worker
    from dramatiq.brokers.redis import RedisBroker

log = logging.getLogger("weighthouse.jobs")

ACTOR = "weighthouse_job"
"""The one actor every hint names; its argument is the queue."""
NAMESPACE = "weighthouse-jobs"
CONNECT_SECONDS = 1.0
# A submit waits at most this long for a Redis that does not answer; the job is in the catalog
# already, and the sweeper sends its hint later.
COMMAND_SECONDS = 2.0


def create_broker(url: str) -> RedisBroker:
    import redis
    from dramatiq.brokers.redis import RedisBroker

    pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=COMMAND_SECONDS
    )
    # dramatiq leaves its broker untyped.
    return RedisBroker(connection_pool=pool, middleware=[], namespace=NAMESPACE)  # type: ignore[no-untyped-call]


def hint(queue: str) -> Message[None]:
    from dramatiq import Message

    return Message(queue_name=queue, actor_name=ACTOR, args=(queue,), kwargs={}, options={})


def pending_hints(broker: RedisBroker, queue: str) -> int:
    """Hints of ``queue`` no worker has taken yet. dramatiq's Redis layout (its
    ``brokers/redis/dispatch.lua``) keeps their ids in the list ``<namespace>:<queue>``."""
    return int(broker.client.llen(f"{broker.namespace}:{queue}"))


class RedisDispatch:
    """Sends a hint per submitted job; a Redis that fails is logged, never raised."""

    def __init__(self, url: str) -> None:
        self._broker = create_broker(url)

    def queued(self, queue: str) -> None:
        import redis

        try:
            self._broker.enqueue(hint(queue))
        except redis.RedisError as exc:
            log.warning("the job broker did not take a hint for %s: %s", queue, exc)

    def close(self) -> None:
        self._broker.client.close()


class RedisWorkerPool:
    """dramatiq workers, one per queue with as many threads as its concurrency, that run the
    hinted jobs; plus the sweeper thread. Same interface as
    :class:`~weighthouse.jobs.pool.WorkerPool`."""

    def __init__(
        self,
        runs: JobRuns,
        runner: JobRunner,
        queues: Mapping[str, int],
        *,
        url: str,
        poll_seconds: float,
        sweep_seconds: float,
        redispatch_seconds: float,
        notices: Callable[[], int] | None = None,
    ) -> None:
        """``notices`` sends the job callbacks that are due; a thread of the pool calls it
        every ``poll_seconds`` while none is, as the embedded pool does."""
        self._runs = runs
        self._runner = runner
        self._queues = dict(queues)
        self._url = url
        self._poll = poll_seconds
        self._sweep = sweep_seconds
        self._redispatch_after = redispatch_seconds
        self._stopping = threading.Event()
        self._workers: list[Worker] = []
        self._sweeper = threading.Thread(target=self._sweep_loop, daemon=True)
        self._notifier: threading.Thread | None = None
        if notices is not None:
            self._notifier = threading.Thread(
                target=send_notices, args=(notices, self._stopping, poll_seconds), daemon=True
            )
        self._broker: RedisBroker | None = None
        # Unique per process start, so a restarted worker never mistakes an old lease for its own.
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        import dramatiq

        broker = self._broker = create_broker(self._url)
        dramatiq.Actor(
            self._run_hint,
            broker=broker,
            actor_name=ACTOR,
            queue_name=min(self._queues),
            priority=0,
            options={},
        )
        for queue in self._queues:
            broker.declare_queue(queue)
        for queue, threads in sorted(self._queues.items()):
            # worker_timeout is how long an idle consumer waits at most between fetches.
            worker = dramatiq.Worker(
                broker,
                queues={queue},
                worker_threads=threads,
                worker_timeout=max(1, int(self._poll * 1000)),
            )
            worker.start()
            self._workers.append(worker)
        self._sweeper.start()
        if self._notifier is not None:
            self._notifier.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking hints; wait up to ``timeout`` seconds for running jobs. A job still
        running keeps its lease until it runs out, then runs again elsewhere."""
        self._stopping.set()
        for worker in self._workers:
            worker.stop(timeout=int(1000 * timeout / max(1, len(self._workers))))
        self._sweeper.join(timeout)
        if self._notifier is not None:
            self._notifier.join(timeout)
        self._runner.close()
        if self._broker is not None:
            self._broker.client.close()

    def _run_hint(self, queue: str) -> None:
        worker = f"{self.name}:{queue}:{threading.get_ident()}"
        try:
            job = self._runs.claim([queue], worker)
        except DomainError:
            # The job stays queued; the sweeper sends its hint again.
            log.warning("claiming a job of %s failed", queue, exc_info=True)
            return
        if job is None:
            return
        try:
            self._runner.run(job)
        except Exception:
            # The job stays held until its lease runs out, then runs again.
            log.exception("running job %s failed", job.id)

    def _sweep_loop(self) -> None:
        import redis

        while not self._stopping.wait(self._sweep):
            try:
                self._runs.recover()
                self.redispatch()
            except (DomainError, redis.RedisError) as exc:
                log.warning("sweeping jobs failed: %s", exc)

    def redispatch(self) -> int:
        """Send a hint for each job that has waited ``redispatch_seconds`` beyond the hints
        still waiting in Redis; returns how many were sent. Every hint claims its queue's
        oldest runnable job, so as many hints as long-waiting jobs run them all."""
        broker = self._broker
        assert broker is not None
        sent = 0
        for queue, count in self._runs.waiting(self._queues, self._redispatch_after).items():
            missing = count - pending_hints(broker, queue)
            for _ in range(missing):
                broker.enqueue(hint(queue))
            sent += max(0, missing)
        if sent:
            log.info("sent %d hints again for jobs that waited", sent)
        return sent
