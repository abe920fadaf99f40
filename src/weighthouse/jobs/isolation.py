"""Apps in processes of their own (``jobs.isolation = "process"``), so that a job which does
not stop when it is cancelled or runs past its time limit is stopped by ending its process.

Each worker thread keeps one app process (:class:`AppHost`), started for its first job and
reused for the next, so an app keeps what it loaded between jobs (the embed app its model) as
it would in a thread. The runner's side stays in the worker: the app's process asks it over a
pipe for what its context offers (input listings, input files laid out on disk, progress,
whether to stop) and writes result files into the job's scratch folder, which the runner then
commits as the owner. The app's process reads neither the catalog nor the blob store and holds
no credentials.

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
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from weighthouse.apps.contract import App, AppFailed, InputFile, JobCancelled
from weighthouse.domain.jobs_model import Progress
from weighthouse.jobs.context import RunContext, Scratch, Tracker

POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 5.0
READ_MAX = 1 << 20
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
        self._process: Any = None
        self._connection: Connection | None = None
        self._stopping = False

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
        process, self._process = self._process, None
        connection, self._connection = self._connection, None
        if process is not None:
            process.kill()
            process.join(KILL_WAIT_SECONDS)
        if connection is not None:
            connection.close()

    def start(self) -> Connection:
        """The running app process's pipe, the process started first if there is none."""
        if self._stopping:
            raise WorkerStopping
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self.close()
        # spawn: a fresh interpreter, never a fork of a server with threads and open sockets.
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        # Daemonic, so the interpreter's exit ends it if close() was never reached.
        process = spawn.Process(target=serve, args=(theirs, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        return ours

    def _exit_code(self) -> int | None:
        if self._process is None:
            return None
        self._process.join(KILL_WAIT_SECONDS)
        return self._process.exitcode  # type: ignore[no-any-return]


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


# The app's process.


def serve(connection: Connection, parent: int) -> None:
    """Run jobs sent over ``connection`` until it closes or ``parent`` is gone."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    from weighthouse.jobs.registry import load_apps

    apps: dict[str, App] = {}
    channel = _Channel(connection)
    while True:
        try:
            path, job_id, params, inputs = connection.recv()
        except (EOFError, OSError):
            return
        channel.current = job_id
        try:
            if path not in apps:
                apps[path] = next(iter(load_apps([path]).values()))
            channel.send(("ready",))
            repos = {name: _RemoteRepo(channel, name, *rest) for name, *rest in inputs}
            context = RunContext(
                job_id, params, repos, _RemoteScratch(channel), _RemoteTracker(channel)
            )
            output = apps[path].run(context)
            staged = {p: str(f) for p, f in context.staged.items()}
            channel.send(("done", dict(output), staged))
        except JobCancelled as exc:
            channel.send(("cancelled", str(exc)))
        except AppFailed as exc:
            channel.send(("failed", str(exc) or "failed"))
        except Exception as exc:
            message = str(exc)
            described = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
            channel.send(("failed", described))
        finally:
            channel.current = None


def _exit_with(parent: int) -> None:
    # An app process outlives a worker killed with -9 only until this notices.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class _Channel:
    """The app's side of the pipe; threads of one app may share it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self.current: str | None = None
        """The job being run; requests are answered only while it runs."""

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self._connection.send(message)

    def ask(self, *request: Any) -> Any:
        with self._lock:
            self._connection.send(request)
            kind, value = self._connection.recv()
        if kind == "KeyError":
            raise KeyError(value)
        if kind == "error":
            raise AppFailed(value)
        if kind == "stop":
            raise JobCancelled(value)
        return value


class _RemoteScratch:
    """The job's scratch folders, made by the runner (which removes them) when first used."""

    def __init__(self, channel: _Channel) -> None:
        self._channel = channel
        self._made: dict[str, Path] = {}

    def folder(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = Path(self._channel.ask("folder", name))
        return self._made[name]


class _RemoteTracker:
    def __init__(self, channel: _Channel) -> None:
        self._channel = channel

    def report(self, progress: Progress) -> None:
        self._channel.ask("progress", progress.current, progress.total, progress.context)

    def add_line(self, line: str) -> None:
        self._channel.ask("log", line)

    def check(self) -> None:
        self._channel.ask("check")


class _RemoteRepo:
    def __init__(self, channel: _Channel, name: str, kind: str, repo: str, commit: str) -> None:
        self._channel = channel
        self._input = name
        self._kind = kind
        self._name = repo
        self._commit = commit

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def name(self) -> str:
        return self._name

    @property
    def commit(self) -> str:
        return self._commit

    def files(self, prefix: str = "") -> Sequence[InputFile]:
        return [InputFile(*entry) for entry in self._channel.ask("files", self._input, prefix)]

    def open(self, path: str) -> BinaryIO:
        handle, size = self._channel.ask("open", self._input, path)
        raw = _RemoteFile(self._channel, handle, size)
        return io.BufferedReader(raw, buffer_size=READ_MAX)

    def materialise(self, paths: Sequence[str] | None = None) -> Path:
        chosen = None if paths is None else list(paths)
        return Path(self._channel.ask("materialise", self._input, chosen))


class _RemoteFile(io.RawIOBase):
    """A seekable raw file whose reads the runner answers from the input's blob."""

    def __init__(self, channel: _Channel, handle: int, size: int) -> None:
        self._channel = channel
        self._job = channel.current
        self._handle = handle
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size:
            return 0
        data = self._channel.ask("read", self._handle, self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}
        position = base[whence] + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        # A file an app left open may be closed by the collector after its job ended, when the
        # runner answers nothing; the runner closed it then.
        if not self.closed and self._channel.current == self._job:
            self._channel.ask("close", self._handle)
        super().close()
