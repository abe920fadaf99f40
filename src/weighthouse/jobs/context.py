"""What a running app sees (:class:`~weighthouse.apps.contract.AppContext`): its parameters,
pinned inputs, a scratch folder, progress and log reporting, and result files staged on disk
until the runner commits them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from weighthouse.apps.contract import InputRepo
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.jobs_model import Progress
from weighthouse.domain.names import check_path

RESULT_FILES_MAX = 10_000


class Tracker(Protocol):
    """The runner's side of a job: where progress goes and who says to stop."""

    def report(self, progress: Progress) -> None: ...

    def add_line(self, line: str) -> None: ...

    def check(self) -> None:
        """Raise ``JobCancelled`` when the job should stop."""
        ...


class Scratch:
    """A job's own folder under ``root`` (the system's temporary folder if ``None``), made on
    first use: most jobs need none, and making and removing folders costs a job more than
    its catalog writes on a slow disk."""

    def __init__(self, job_id: str, root: Path | None) -> None:
        self._prefix = f"job-{job_id}-"
        self._root = root
        self._path: Path | None = None

    def path(self) -> Path:
        """The folder itself, made if new."""
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix=self._prefix, dir=self._root))
        return self._path

    def folder(self, name: str) -> Path:
        """The sub-folder ``name`` (a fixed word, never a name from outside), made if new."""
        folder = self.path() / name
        folder.mkdir(exist_ok=True)
        return folder

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


class Folders(Protocol):
    def folder(self, name: str) -> Path: ...


class RunContext:
    def __init__(
        self,
        job_id: str,
        params: Mapping[str, Any],
        inputs: Mapping[str, InputRepo],
        scratch: Folders,
        tracker: Tracker,
    ) -> None:
        self._job_id = job_id
        self._params = params
        self._inputs = dict(inputs)
        self._folders = scratch
        self._tracker = tracker
        self.staged: dict[str, Path] = {}
        """Result path to the staged file holding its bytes, in the order first written."""

    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def inputs(self) -> Mapping[str, InputRepo]:
        return self._inputs

    @property
    def scratch(self) -> Path:
        return self._folders.folder("work")

    def progress(self, current: int, total: int, context: str = "") -> None:
        self._tracker.report(Progress(int(current), int(total), str(context)[:200]))
        self._tracker.check()

    def check_cancelled(self) -> None:
        self._tracker.check()

    def log(self, line: str) -> None:
        self._tracker.add_line(str(line))

    def write_result(self, path: str, data: bytes | BinaryIO) -> None:
        """Raises ``InvalidInputError`` for a path a repo cannot hold. Writing a path again
        replaces its bytes."""
        check_path(path)
        staged = self.staged.get(path)
        if staged is None:
            if len(self.staged) >= RESULT_FILES_MAX:
                raise InvalidInputError(f"a job may write at most {RESULT_FILES_MAX} results")
            # Named by a counter, never by the result's path.
            staged = self._folders.folder("results") / str(len(self.staged))
            self.staged[path] = staged
        with staged.open("wb") as out:
            if isinstance(data, bytes | bytearray | memoryview):
                out.write(data)
            else:
                shutil.copyfileobj(data, out, 1 << 20)
