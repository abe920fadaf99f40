"""Apps in processes of their own (``jobs.isolation = "process"``), so that a job which does
not stop when it is cancelled or runs past its time limit is stopped by ending its process.

Each worker thread has one app process (:class:`AppHost`), started for its first job and
reused for the next while they come, so an app keeps what it loaded between jobs (the embed
app its model) as it would in a thread. A process that has run no job for
``jobs.app_idle_seconds`` exits (:meth:`AppHost.close_if_idle`), and the next job starts a new
one, so an idle server holds no app processes. The app's process is
:mod:`~weighthouse.jobs.app_process`. The runner's side stays in the worker: the app's process
asks it over a pipe for what its context offers (input listings, input files laid out on disk,
progress, whether to stop) and writes result files into the job's scratch folder, which the
runner then commits as the owner. The app's process reads neither the catalog nor the blob
store and holds no credentials.

When the job should stop and the app has not returned ``cancel_grace_seconds`` later, its
process is killed (an app that ignores cancellation may ignore SIGTERM too) and the job ends
``cancelled``, or ``failed`` with the time limit's message; the next job starts a new process.
A process that dies by itself (a crash, the OOM killer) fails its job with its exit code. An
app process whose worker died exits within a second.

The app's process says ``ready`` once it has imported the app and is about to run it; the job's
time limit runs from then (``StopTracker.ready``), so neither the start of a new interpreter
nor the app's imports count against it. A process not ready within ``startup_seconds`` of the
job being sent is killed and the job fails saying so; a job cancelled before its app is ready
ends at once, its process killed, as there is no app running yet to stop by itself.

Apps are loaded in the app process by their class (``module:Class``), made without
arguments, as :func:`~weighthouse.jobs.registry.load_apps` makes them.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from weighthouse.apps.contract import App, AppFailed, JobCancelled
from weighthouse.domain.jobs_model import Progress
from weighthouse.jobs.app_process import READ_MAX
from weighthouse.jobs.context import RunContext, Scratch, Tracker

POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 5.0
OPEN_FILES_MAX = 64


class WorkerStopping(Exception):  # noqa: N818 - an event, as JobCancelled
    """The worker stopped while the job ran: its app process was ended, and the job keeps its
    lease until it runs out, then runs again elsewhere."""


def app_path(app: App) -> str:
    """How the app's process finds ``app``: its class, as ``module:Class``."""
    kind = type(app)
    return f"{kind.__module__}:{kind.__qualname__}"


class AppHost:
    """One app process, serving one job at a time for one worker thread."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._stopping = False
        # close() comes from the worker's thread (a job to stop), the runner's idle sweep and
        # the pool's stop; the lock keeps the sweep off a process a job is about to use.
        self._lock = threading.RLock()
        self._busy = False
        self._idle_since = time.monotonic()

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Hold the process for a job: :meth:`close_if_idle` leaves it alone until the block
        ends, and its idle time counts from then."""
        with self._lock:
            self._busy = True
        try:
            yield
        finally:
            with self._lock:
                self._busy = False
                self._idle_since = time.monotonic()

    def close_if_idle(self, idle_seconds: float) -> bool:
        """End the process if it has run no job for ``idle_seconds``; whether it did."""
        with self._lock:
            if self._busy or self._process is None:
                return False
            if time.monotonic() - self._idle_since < idle_seconds:
                return False
            self.close()
            return True

    def run(
        self,
        app: App,
        context: RunContext,
        scratch: Scratch,
        tracker: StopTracker,
        grace_seconds: float,
        startup_seconds: float,
    ) -> Mapping[str, Any]:
        """Run ``app`` on ``context`` in the app process; its output, with its result files
        staged in ``context``. Calls ``tracker.ready()`` when the app's process is ready to run
        it. Raises ``JobCancelled`` when the job stopped (by itself, or killed
        ``grace_seconds`` after it should have, or at once when cancelled before the app was
        ready), ``AppFailed`` for any failure of the app or its process, with the message the
        job keeps, including a process not ready within ``startup_seconds``."""
        connection = self.start()
        inputs = [
            (name, repo.kind, repo.name, repo.commit) for name, repo in context.inputs.items()
        ]
        connection.send((app_path(app), context.job_id, dict(context.params), inputs))
        requests = _Requests(context, scratch, tracker)
        try:
            first = self._await_ready(connection, tracker, startup_seconds)
            return self._serve_job(
                connection, context, scratch, requests, tracker, grace_seconds, first
            )
        finally:
            requests.close()

    def _await_ready(
        self, connection: Connection, tracker: StopTracker, startup_seconds: float
    ) -> Any:
        """Wait for the app process's ``ready``; ``None`` once it came, else the message that
        came instead (a failure to import the app), for :meth:`_serve_job` to read."""
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                waiting = connection.poll(POLL_SECONDS)
            except (EOFError, OSError):
                return None  # the process is gone: _serve_job says how
            if waiting:
                # "ready" is always the first message of a job when the app loads: any other
                # is an ending, which _serve_job reads.
                try:
                    message = connection.recv()
                except (EOFError, OSError):
                    return None
                if message == ("ready",):
                    tracker.ready()
                    return None
                return message
            if tracker.should_stop():
                # Cancelled while starting: no app runs yet that could stop by itself.
                self.close()
                tracker.check()
            if time.monotonic() > deadline:
                self.close()
                raise AppFailed(
                    f"the app's process was not ready within {startup_seconds:g} s"
                    " (jobs.startup_seconds)"
                )

    def _serve_job(
        self,
        connection: Connection,
        context: RunContext,
        scratch: Scratch,
        requests: _Requests,
        tracker: StopTracker,
        grace_seconds: float,
        first: Any,
    ) -> Mapping[str, Any]:
        stop_since: float | None = None
        while True:
            try:
                if first is not None:
                    message, first = first, None
                else:
                    message = connection.recv() if connection.poll(POLL_SECONDS) else None
            except (EOFError, OSError):
                if self._stopping:
                    raise WorkerStopping from None
                code = self._exit_code()
                self.close()
                raise AppFailed(
                    f"the app's process ended unexpectedly (exit code {code})"
                ) from None
            # Checked between messages too: an app may catch JobCancelled and go on reporting.
            if tracker.should_stop():
                now = time.monotonic()
                if stop_since is None:
                    stop_since = now
                elif now - stop_since > grace_seconds:
                    self.close()
                    tracker.check()  # raises JobCancelled with the reason
            if message is None:
                continue
            kind, *args = message
            if kind == "done":
                output, staged = args
                results = scratch.folder("results").resolve() if staged else Path()
                for path, file in staged.items():
                    if not Path(file).resolve().is_relative_to(results):
                        raise AppFailed("the app's process staged a result outside its folder")
                    context.staged[path] = Path(file)
                return dict(output)
            if kind == "cancelled":
                raise JobCancelled(args[0])
            if kind == "failed":
                raise AppFailed(args[0])
            connection.send(requests.answer(kind, args))

    def stop(self) -> None:
        """The worker stops: kill the process; a job it runs is left to its lease."""
        self._stopping = True
        self.close()

    def close(self) -> None:
        """Kill the process, if any; the next job starts a new one."""
        with self._lock:
            process, self._process = self._process, None
            connection, self._connection = self._connection, None
        if process is not None:
            process.kill()
            _reap(process)
        if connection is not None:
            connection.close()

    def start(self) -> Connection:
        """The running app process's pipe, the process started first if there is none."""
        with self._lock:
            if self._stopping:
                raise WorkerStopping
            if self._process is not None and self._process.poll() is None and self._connection:
                return self._connection
            self.close()
            # A fresh interpreter, never a fork of a server with threads and open sockets; and
            # not multiprocessing's, which would start its resource tracker beside the server.
            ours, theirs = socket.socketpair()
            try:
                argv = [sys.executable, "-m", "weighthouse.jobs.app_process"]
                argv += [str(theirs.fileno()), str(os.getpid())]
                process = subprocess.Popen(
                    argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL
                )
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            connection = Connection(ours.detach())
            self._process, self._connection = process, connection
            connection.send(list(sys.path))
            return connection

    def _exit_code(self) -> int | None:
        if self._process is None:
            return None
        return _reap(self._process)


def _reap(process: subprocess.Popen[bytes]) -> int | None:
    """Wait for an ended (or killed) process; its exit code, negative for a signal."""
    try:
        return process.wait(KILL_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        return None


class StopTracker(Tracker, Protocol):
    def should_stop(self) -> bool: ...

    def ready(self) -> None:
        """The app is about to run: its time limit starts."""


class _Requests:
    """The runner's answers to the requests of the app's process during one job, and the
    input files it opened."""

    def __init__(self, context: RunContext, scratch: Scratch, tracker: StopTracker) -> None:
        self._context = context
        self._scratch = scratch
        self._tracker = tracker
        self._open: dict[int, BinaryIO] = {}
        self._next = 0

    def answer(self, kind: str, args: list[Any]) -> tuple[str, Any]:
        if kind == "progress":
            current, total, label = args
            self._tracker.report(Progress(int(current), int(total), str(label)[:200]))
            return ("ok", None)
        if kind == "log":
            self._tracker.add_line(str(args[0]))
            return ("ok", None)
        if kind == "folder":
            # Fixed words from the context ("work", "results"), never a name from the app.
            if args[0] not in ("work", "results"):
                return ("error", "no such folder")
            return ("ok", str(self._scratch.folder(args[0])))
        if kind == "check":
            try:
                self._tracker.check()
            except JobCancelled as exc:
                return ("stop", str(exc))
            return ("ok", None)
        try:
            return ("ok", self._file_request(kind, args))
        except KeyError as exc:
            return ("KeyError", exc.args[0] if exc.args else "")
        except Exception as exc:
            # A domain error's message, or the exception's own: the app sees it as AppFailed.
            return ("error", str(getattr(exc, "message", None) or exc) or type(exc).__name__)

    def _file_request(self, kind: str, args: list[Any]) -> Any:
        if kind == "read":
            handle, offset, size = args
            stream = self._open[int(handle)]
            stream.seek(int(offset))
            return stream.read(max(0, min(int(size), READ_MAX)))
        if kind == "close":
            closing = self._open.pop(int(args[0]), None)
            if closing is not None:
                closing.close()
            return None
        repo = self._context.inputs[args[0]]
        if kind == "files":
            return [(f.path, f.size, f.sha256) for f in repo.files(args[1])]
        if kind == "materialise":
            return str(repo.materialise(args[1]))
        if kind == "open":
            if len(self._open) >= OPEN_FILES_MAX:
                raise OSError(f"a job may hold at most {OPEN_FILES_MAX} input files open")
            stream = repo.open(args[1])
            size = stream.seek(0, io.SEEK_END)
            self._next += 1
            self._open[self._next] = stream
            return (self._next, size)
        raise ValueError(f"unknown request {kind!r}")

    def close(self) -> None:
        for stream in self._open.values():
            stream.close()
        self._open.clear()
