"""An input repo as an app sees it (:class:`~weighthouse.apps.contract.InputRepo`): its files
at the job's pinned commit, read through the domain's ``Files`` use case as the job's owner."""

from __future__ import annotations

import hashlib
import io
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from weighthouse.apps.contract import InputFile
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import EntryNotFoundError, InvalidInputError
from weighthouse.domain.files import Files
from weighthouse.domain.model import EntryKind, RepoId
from weighthouse.domain.paging import MAX_PAGE
from weighthouse.domain.ports import BlobReader
from weighthouse.jobs.context import Scratch

COPY_PIECE = 1 << 20


class PinnedRepo:
    def __init__(
        self,
        files: Files,
        owner: Principal,
        repo_id: RepoId,
        commit: str,
        scratch: Scratch,
    ) -> None:
        self._files = files
        self._owner = owner
        self._repo_id = repo_id
        self._commit = commit
        self._scratch = scratch
        self._listing: list[InputFile] | None = None

    @property
    def kind(self) -> str:
        return self._repo_id.type.value

    @property
    def name(self) -> str:
        return str(self._repo_id)

    @property
    def commit(self) -> str:
        return self._commit

    def files(self, prefix: str = "") -> Sequence[InputFile]:
        if self._listing is None:
            listing: list[InputFile] = []
            after: str | None = None
            while True:
                _, page = self._files.list_tree(
                    self._owner, self._repo_id, self._commit, recursive=True, after=after,
                    limit=MAX_PAGE,
                )  # fmt: skip
                for found in page.entries:
                    entry = found.entry
                    if entry.kind is EntryKind.FILE and entry.sha256 is not None:
                        listing.append(InputFile(found.path, entry.size, entry.sha256))
                if page.next_after is None:
                    break
                after = page.next_after
            self._listing = sorted(listing, key=lambda f: f.path.encode())
        return [f for f in self._listing if f.path.startswith(prefix)]

    def open(self, path: str) -> BinaryIO:
        try:
            _, download = self._files.download(self._owner, self._repo_id, self._commit, path)
        except (EntryNotFoundError, InvalidInputError) as exc:
            raise KeyError(path) from exc
        reader = self._files.reader(download)
        return io.BufferedReader(_BlobFile(reader), buffer_size=COPY_PIECE)

    def materialise(self, paths: Sequence[str] | None = None) -> Path:
        wanted = {f.path: f for f in self.files()}
        chosen = list(wanted) if paths is None else list(paths)
        root = self._scratch.folder("inputs") / self._repo_id.type.value / str(self._repo_id)
        for path in chosen:
            if path not in wanted:
                raise KeyError(path)
            target = (root / path).resolve()
            # Repo paths are checked when committed (no '..', no absolute paths); this keeps
            # even a path that slipped through inside the folder.
            if not target.is_relative_to(root.resolve()):
                raise KeyError(path)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_verified(self.open(path), target, wanted[path].sha256)
        return root


def _copy_verified(source: BinaryIO, target: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".partial")
    with source, partial.open("wb") as out:
        while piece := source.read(COPY_PIECE):
            digest.update(piece)
            out.write(piece)
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise OSError(f"{target.name}: the stored bytes do not match their SHA-256")
    partial.chmod(stat.S_IRUSR | stat.S_IRGRP)
    partial.rename(target)


class _BlobFile(io.RawIOBase):
    """A seekable raw file over a blob reader's ranged reads."""

    def __init__(self, reader: BlobReader) -> None:
        self._reader = reader
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._reader.size:
            return 0
        data = self._reader.read_range(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._reader.size}
        position = base[whence] + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
        super().close()
