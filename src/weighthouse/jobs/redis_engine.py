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
PROBE_QUEUE = "weighthouse-layout-probe"
"""Prefix of the queues :func:`layout_holds` probes; no worker reads them."""
CONNECT_SECONDS = 1.0
# A submit waits at most this long for a Redis that does not answer; the job is in the catalog
# already, and the sweeper sends its hint later.
COMMAND_SECONDS = 2.0


def create_broker(url: str, namespace: str = NAMESPACE) -> RedisBroker:
    import redis
    from dramatiq.brokers.redis import RedisBroker

    pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=COMMAND_SECONDS
    )
    # dramatiq leaves its broker untyped.
    return RedisBroker(connection_pool=pool, middleware=[], namespace=namespace)  # type: ignore[no-untyped-call]


def hint(queue: str) -> Message[None]:
    from dramatiq import Message

    return Message(queue_name=queue, actor_name=ACTOR, args=(queue,), kwargs={}, options={})


def pending_hints(broker: RedisBroker, queue: str) -> int:
    """Hints of ``queue`` no worker has taken yet.

    dramatiq has no public way to ask this of its Redis broker: ``join()`` only waits for a
    queue to empty and is meant for tests, and the ``qsize`` command behind it (reached through
    the broker's undocumented ``do_*`` attributes) also counts messages workers have taken but
    not finished, and those of dead workers that its maintenance gives back only after a
    minute, so it would hold back the very hints a lost message needs. So this reads
    dramatiq's Redis layout (its ``brokers/redis/dispatch.lua``): the ids of waiting messages
    are in the list ``<namespace>:<queue>``. :class:`Redispatcher` checks that layout against
    the running dramatiq before it trusts the count."""
    return int(broker.client.llen(f"{broker.namespace}:{queue}"))


def layout_holds(broker: RedisBroker) -> bool:
    """Whether :func:`pending_hints` counts what dramatiq holds: a probe hint, sent to a queue
    of its own that no worker reads, must show there. The probe is dropped after. Raises
    ``redis.RedisError`` when Redis cannot be asked."""
    import redis

    queue = f"{PROBE_QUEUE}-{uuid.uuid4().hex}"
    try:
        broker.enqueue(hint(queue))
        return pending_hints(broker, queue) == 1
    except redis.ResponseError:
        return False  # the key holds something else than a list (WRONGTYPE)
    finally:
        broker.flush(queue)


class Redispatcher:
    """Sends hints again for jobs that waited too long (the sweeper's half that talks to Redis).

    Every hint claims its queue's oldest runnable job, so one hint per long-waiting job beyond
    the hints still waiting in Redis runs them all. Fails safe: until dramatiq's layout has
    been checked (:func:`layout_holds`), and for good once it has not held, the count is not
    trusted and at most a queue's concurrency in hints is sent per round. Too few hints only
    slow the queue to one round's worth per sweep; counting hints that are not there would
    stall it, and resending every waiting job's hint at every round without a count would fill
    Redis while the workers are busy."""

    def __init__(self, broker: RedisBroker, queues: Mapping[str, int]) -> None:
        """``queues``: each queue's concurrency, the most hints sent per round uncounted."""
        self._broker = broker
        self._queues = dict(queues)
        self._counting: bool | None = None

    def send(self, waiting: Mapping[str, int]) -> int:
        """Send hints for ``waiting`` (queue to the number of jobs that waited too long);
        returns how many were sent. Raises ``redis.RedisError`` when Redis fails."""
        broker = self._broker
        if self._counting is None and waiting:
            self._counting = layout_holds(broker)
            if not self._counting:
                log.error(
                    "dramatiq's Redis layout is not the one this version knows: waiting hints"
                    " cannot be counted, so at most a queue's concurrency in hints is resent"
                    " per sweep"
                )
        sent = 0
        for queue, count in waiting.items():
            if self._counting:
                missing = count - pending_hints(broker, queue)
            else:
                missing = min(count, self._queues.get(queue, 1))
            for _ in range(missing):
                broker.enqueue(hint(queue))
            sent += max(0, missing)
        return sent


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
        self._redispatcher: Redispatcher | None = None
        # Unique per process start, so a restarted worker never mistakes an old lease for its own.
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self) -> None:
        import dramatiq

        broker = self._broker = create_broker(self._url)
        self._redispatcher = Redispatcher(broker, self._queues)
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
        """Send hints again for the jobs that have waited ``redispatch_seconds``
        (:class:`Redispatcher`); returns how many were sent."""
        assert self._redispatcher is not None
        waiting = self._runs.waiting(self._queues, self._redispatch_after)
        sent = self._redispatcher.send(waiting)
        if sent:
            log.info("sent %d hints again for jobs that waited", sent)
        return sent
