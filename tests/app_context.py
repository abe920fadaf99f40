"""An in-memory stand-in for the job runner's side of the apps contract, for testing apps alone.

:class:`FolderRepo` serves a local folder as an input repo and :class:`FakeAppContext` records
what an app reports and stages. Neither checks permissions, pins commits or commits results:
the real runner does that and is tested on its own; these only let an app's ``run`` be called
on real files.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from weighthouse.apps.contract import InputFile, InputRepo, JobCancelled


class FolderRepo:
    """The files under ``root`` as a repo, by their paths relative to it."""

    def __init__(self, root: Path, name: str = "tests/repo", kind: str = "model") -> None:
        self.root = root.resolve()
        self._name = name
        self._kind = kind
        self.materialised: list[Path] = []

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def name(self) -> str:
        return self._name

    @property
    def commit(self) -> str:
        return "0" * 40

    def files(self, prefix: str = "") -> Sequence[InputFile]:
        found = []
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            relative = path.relative_to(self.root).as_posix()
            if relative.startswith(prefix):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found.append(InputFile(relative, path.stat().st_size, digest))
        return found

    def open(self, path: str) -> BinaryIO:
        target = self.root / path
        if not target.is_file() or self.root not in target.resolve().parents:
            raise KeyError(path)
        return target.open("rb")

    def materialise(self, paths: Sequence[str] | None = None) -> Path:
        wanted = paths if paths is not None else [f.path for f in self.files()]
        folder = self.root.parent / f"{self.root.name}-materialised-{len(self.materialised)}"
        for path in wanted:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / path, folder / path)
        self.materialised.append(folder)
        return folder


class FakeAppContext:
    """Records progress, log lines and staged results; cancels once ``cancel_after`` progress
    calls have been made (never when it is ``None``)."""

    def __init__(
        self,
        inputs: Mapping[str, InputRepo],
        scratch: Path,
        params: Mapping[str, Any] | None = None,
        cancel_after: int | None = None,
    ) -> None:
        self._inputs = inputs
        self._params = dict(params or {})
        self._scratch = scratch
        self.cancel_after = cancel_after
        self.progress_calls: list[tuple[int, int, str]] = []
        self.lines: list[str] = []
        self.results: dict[str, bytes] = {}

    @property
    def job_id(self) -> str:
        return "job-test"

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def inputs(self) -> Mapping[str, InputRepo]:
        return self._inputs

    @property
    def scratch(self) -> Path:
        return self._scratch

    def progress(self, current: int, total: int, context: str = "") -> None:
        self.progress_calls.append((current, total, context))
        self.check_cancelled()

    def check_cancelled(self) -> None:
        if self.cancel_after is not None and len(self.progress_calls) >= self.cancel_after:
            raise JobCancelled

    def log(self, line: str) -> None:
        self.lines.append(line)

    def write_result(self, path: str, data: bytes | BinaryIO) -> None:
        self.results[path] = data if isinstance(data, bytes) else data.read()
