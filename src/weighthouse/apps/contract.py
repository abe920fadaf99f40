"""The contract between the job runner and an app.

The runner resolves a job's inputs (repo references at exact commits) and checks its owner may
read them before :meth:`App.run` is called; it checks the owner may write where results go
before they are committed. An app therefore only reads what it is given and returns or writes
results: it holds no credentials and asks no permission of its own.

Execution is at least once: a job whose worker died is run again from the start, so ``run``
must be idempotent (results are staged and committed by the runner only when ``run`` returns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol


class JobCancelled(Exception):  # noqa: N818 - named for the event, as asyncio.CancelledError is
    """Raised by :meth:`AppContext.progress` (and :meth:`AppContext.check_cancelled`) once the
    job has been cancelled or has run past its time limit. Apps let it propagate."""


class AppFailed(Exception):  # noqa: N818 - the job's state, not a programming error
    """Raised by an app for a failure it can explain (bad input file, model that does not
    load). The message becomes the job's error, shown to its owner; do not retry it."""


@dataclass(frozen=True)
class InputFile:
    """One file of an input repo at the job's pinned commit."""

    path: str
    size: int
    sha256: str


class InputRepo(Protocol):
    """A repo the job reads, pinned to one commit when the job was submitted."""

    @property
    def kind(self) -> str:
        """``model``, ``dataset`` or ``bucket``."""

    @property
    def name(self) -> str:
        """``namespace/name``."""

    @property
    def commit(self) -> str:
        """The commit id every read of this job sees."""

    def files(self, prefix: str = "") -> Sequence[InputFile]:
        """Every file under ``prefix`` (``""`` for all), sorted by path."""

    def open(self, path: str) -> BinaryIO:
        """A readable, seekable binary stream of the file; the caller closes it. Raises
        ``KeyError`` for a path that is not in the commit."""

    def materialise(self, paths: Sequence[str] | None = None) -> Path:
        """The listed files (all when ``None``) as a read-only folder on local disk, for
        libraries that only load from a directory; laid out by repo path, verified by SHA-256,
        removed when the job ends."""


class AppContext(Protocol):
    """What a running job may do."""

    @property
    def job_id(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]:
        """The job's parameters, already validated against :attr:`App.parameters_schema`."""

    @property
    def inputs(self) -> Mapping[str, InputRepo]:
        """The job's input repos by the names its app declares (e.g. ``model``, ``dataset``)."""

    @property
    def scratch(self) -> Path:
        """A private, empty folder for the job's temporary files, removed when it ends."""

    def progress(self, current: int, total: int, context: str = "") -> None:
        """Report progress; raises :class:`JobCancelled` when the job should stop."""

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` when the job should stop; cheap enough for a loop."""

    def log(self, line: str) -> None:
        """Append one line to the job's log (the runner keeps the most recent lines)."""

    def write_result(self, path: str, data: bytes | BinaryIO) -> None:
        """Stage one result file; all staged files become one commit when ``run`` returns."""


class App(Protocol):
    """An app the runner can run. Instances are created once per worker process."""

    name: str
    """The app's name: the entry-point name, the worker API's ``/<app>/`` route, and the
    default queue."""

    description: str

    inputs: Mapping[str, str]
    """Input names this app needs, mapped to the repo kind each must be (``model``,
    ``dataset``, ``bucket``, or ``any``)."""

    parameters_schema: Mapping[str, Any]
    """A JSON Schema (draft 2020-12 subset: type, properties, required, enum, minimum,
    maximum, default, additionalProperties) the job's parameters must satisfy."""

    time_limit_seconds: float
    max_attempts: int

    def run(self, context: AppContext) -> Mapping[str, Any]:
        """Do the work; return a JSON-serialisable summary stored as the job's output. Raise
        :class:`AppFailed` for an explained failure; any other exception fails the job with
        its class name and message (never an empty error)."""
