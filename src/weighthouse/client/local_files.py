"""Local files on both sides of a transfer: which files of a folder are pushed, under which
repo paths, and where a pulled repo path may land on disk."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from weighthouse.domain.errors import InvalidPathError
from weighthouse.domain.names import check_path

GIT_DIR = ".git"


@dataclass(frozen=True)
class LocalFile:
    """A file to push: where it is, the repo path it gets, and its size when walked."""

    local: Path
    repo_path: str
    size: int


@dataclass(frozen=True)
class SkippedPath:
    """Something a walk left out, and why; callers show these, never drop them silently."""

    local: Path
    reason: str


@dataclass(frozen=True)
class FolderWalk:
    files: tuple[LocalFile, ...]
    skipped: tuple[SkippedPath, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


def walk_local(root: Path, *, prefix: str = "") -> FolderWalk:
    """The files under ``root`` (or ``root`` itself when it is a file), sorted by repo path.

    Repo paths are relative to ``root`` with ``/`` separators, under ``prefix`` if given.
    ``.git`` folders are skipped (repos may not hold them), as are symlinked folders (they can
    loop) and anything that is not a regular file; each skip is reported. Symlinks to files
    are followed. Raises ``InvalidPathError`` for a name the server would refuse, before any
    byte is read.
    """
    prefix = prefix.strip("/")
    if not root.is_dir():
        name = f"{prefix}/{root.name}" if prefix else root.name
        return FolderWalk((LocalFile(root, check_path(name), root.stat().st_size),), ())
    files: list[LocalFile] = []
    skipped: list[SkippedPath] = []
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        for dirname in list(dirnames):
            if dirname == GIT_DIR:
                skipped.append(SkippedPath(here / dirname, "a .git folder"))
                dirnames.remove(dirname)
            elif (here / dirname).is_symlink():
                skipped.append(SkippedPath(here / dirname, "a symlinked folder"))
                dirnames.remove(dirname)
        dirnames.sort()
        for filename in sorted(filenames):
            local = here / filename
            problem = _not_a_file(local)
            if filename == GIT_DIR:
                problem = "a .git file"
            if problem:
                skipped.append(SkippedPath(local, problem))
                continue
            relative = local.relative_to(root).as_posix()
            path = f"{prefix}/{relative}" if prefix else relative
            files.append(LocalFile(local, check_path(path), local.stat().st_size))
    files.sort(key=lambda f: f.repo_path.encode("utf-8"))
    return FolderWalk(tuple(files), tuple(skipped))


def _not_a_file(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a broken symlink"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def local_target(root: Path, repo_path: str) -> Path:
    """Where the repo file ``repo_path`` goes under ``root``.

    The server's paths are not trusted: an absolute path, an empty, ``.`` or ``..`` segment,
    a backslash or a NUL byte raises ``InvalidPathError`` instead of escaping ``root``.
    """
    parts = PurePosixPath(repo_path).parts
    if (
        not repo_path
        or repo_path.startswith("/")
        or "\\" in repo_path
        or "\x00" in repo_path
        or any(p in ("", ".", "..") for p in repo_path.split("/"))
        or not parts
    ):
        raise InvalidPathError(f"refusing to write {repo_path!r} outside the destination")
    return root.joinpath(*parts)
