"""The app's process (``jobs.isolation = "process"``): run by :class:`~weighthouse.jobs.
isolation.AppHost` as ``python -m weighthouse.jobs.app_process FD PARENT``, it runs the jobs
sent over the connection on file descriptor ``FD`` one at a time, asking the worker for what
their context offers, until the connection closes or the process ``PARENT`` is gone.

A plain interpreter rather than a ``multiprocessing`` one, so that no resource tracker runs
beside the server. The first message is the worker's ``sys.path``, so an app the worker can
import (``module:Class``) is found here too; each next one is a job.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO

from weighthouse.apps.contract import App, AppFailed, InputFile, JobCancelled
from weighthouse.domain.jobs_model import Progress
from weighthouse.jobs.context import RunContext

READ_MAX = 1 << 20
"""The largest read of an input file asked of the worker at once."""


def main(argv: Sequence[str]) -> None:
    fd, parent = int(argv[0]), int(argv[1])
    connection = Connection(fd)
    try:
        path = connection.recv()
    except (EOFError, OSError):
        return
    sys.path[:] = [*path, *(p for p in sys.path if p not in path)]
    serve(connection, parent)


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


if __name__ == "__main__":
    main(sys.argv[1:])
