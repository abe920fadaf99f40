"""Where a bucket command reads or writes: a bucket location or a local path, told apart as
``mc`` and ``aws s3`` users expect.

``wh://ns/bucket/key`` is always a bucket location. Without the scheme, ``ns/bucket[/key]`` is
one too, unless the text is plainly local: it starts with ``/``, ``.`` or ``~``, has no ``/``
at all, or its first segment exists in the working folder (write ``./ns/...`` to force a local
path). Keys are kept verbatim, and never become file-system paths by themselves.

A local path written with a trailing ``/`` (or ``.``, ``..``) names a folder, existing or not:
``cp wh://ns/b/k newdir/`` makes ``newdir`` and writes ``newdir/k``, as ``aws s3 cp`` and
``mc cp`` do. ``Path`` drops that slash, so :class:`LocalPath` keeps it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from weighthouse.domain.names import is_valid_name

SCHEME = "wh://"


@dataclass(frozen=True)
class BucketLocation:
    """``bucket`` is ``namespace/name``; ``key`` is an object key, a prefix ending in ``/``,
    or empty for the whole bucket."""

    bucket: str
    key: str = ""

    @property
    def is_prefix(self) -> bool:
        """Names a folder-like prefix (or the bucket) rather than one object."""
        return self.key == "" or self.key.endswith("/")

    @property
    def folder(self) -> str:
        """The key as a prefix: what a recursive command works under."""
        return self.key if self.is_prefix else self.key + "/"

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


@dataclass(frozen=True)
class LocalPath:
    """A path on this machine; ``is_folder`` when the text said it is a folder."""

    path: Path
    is_folder: bool = False

    def __str__(self) -> str:
        return f"{self.path}/" if self.is_folder and self.path.name else str(self.path)


Location = BucketLocation | LocalPath


def parse_location(text: str, *, exists: Callable[[str], bool]) -> Location:
    """``text`` as a :class:`BucketLocation` or a local ``Path`` (rules in the module
    docstring). ``exists(first_segment)`` says whether a local name exists. Raises
    ``ValueError`` with a message fit to show for ``wh://`` text that names no bucket."""
    if text.startswith(SCHEME):
        return parse_bucket_location(text[len(SCHEME) :], original=text)
    if not text or text[0] in "/.~" or "/" not in text or exists(text.split("/", 1)[0]):
        return local_path(text)
    namespace, name = text.split("/")[:2]
    if not (is_valid_name(namespace) and is_valid_name(name)):
        return local_path(text)
    return parse_bucket_location(text, original=text)


def local_path(text: str) -> LocalPath:
    """``text`` as a local path, a folder when it ends in a separator or is ``.``/``..``."""
    folder = text.endswith(("/", os.sep)) or Path(text).name in ("", ".", "..")
    return LocalPath(Path(text).expanduser(), folder)


def parse_bucket_location(text: str, *, original: str | None = None) -> BucketLocation:
    """``ns/bucket[/key]`` (no scheme) as a location; ``ValueError`` when it names none."""
    shown = original or text
    parts = text.split("/", 2)
    if len(parts) < 2 or not all(is_valid_name(p) for p in parts[:2]):
        raise ValueError(f"{shown!r}: expected wh://namespace/bucket[/key]")
    return BucketLocation(f"{parts[0]}/{parts[1]}", parts[2] if len(parts) == 3 else "")


def local_exists(name: str) -> bool:
    """The ``exists`` the CLI passes: the name is in the working folder."""
    return Path(name).exists()


def under(folder: str, name: str) -> str:
    """The key ``name`` (relative, ``/``-separated) below the prefix ``folder``."""
    return f"{folder}{name}" if not folder or folder.endswith("/") else f"{folder}/{name}"


def base_name(name: str) -> str:
    """The last segment of a key or path, for copying one object into a folder."""
    return name.rstrip("/").rsplit("/", 1)[-1]
