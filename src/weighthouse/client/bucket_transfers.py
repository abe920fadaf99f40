"""Carrying out a :class:`~weighthouse.client.transfer_plan.TransferPlan` between a local
folder and a bucket prefix, or between two bucket prefixes, several items at a time.

Each side is a :class:`LocalFolder` or a :class:`BucketFolder`; items are named relative to
the side's root. A bucket key only becomes a file name through
:func:`~weighthouse.client.local_files.local_target`, which refuses keys that would leave the
folder (``..``, absolute, empty segments); such keys are reported as failures, never written.
One item's failure does not stop the others: the report lists each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from weighthouse.client.bucket_paths import under
from weighthouse.client.errors import ClientError
from weighthouse.client.hashing import OnBytes, sha256_file
from weighthouse.client.local_files import SkippedPath, local_target, walk_local
from weighthouse.client.models import ObjectInfo
from weighthouse.client.progress import ProgressFactory, no_progress
from weighthouse.client.transfer_plan import Item, TransferPlan
from weighthouse.domain.errors import DomainError

if TYPE_CHECKING:
    from weighthouse.client.client import WeighthouseClient

DEFAULT_JOBS = 8


@dataclass
class LocalFolder:
    """A folder on this machine. ``skipped`` holds what the last listing left out."""

    root: Path
    skipped: tuple[SkippedPath, ...] = ()

    def items(self) -> list[Item]:
        if not self.root.exists():
            return []
        walk = walk_local(self.root)
        self.skipped = walk.skipped
        return [Item(f.repo_path, f.size) for f in walk.files]

    def path(self, name: str) -> Path:
        return local_target(self.root, name)

    def digest(self, item: Item) -> Item:
        """``item`` with the SHA-256 of its file."""
        sha256, size = sha256_file(self.path(item.name))
        return Item(item.name, size, sha256)

    def delete(self, name: str) -> None:
        self.path(name).unlink()


@dataclass
class BucketFolder:
    """The objects under ``folder`` (a prefix ending in ``/``, or empty) of ``bucket``."""

    client: WeighthouseClient
    bucket: str
    folder: str = ""
    objects: dict[str, ObjectInfo] = field(default_factory=dict)

    def items(self) -> list[Item]:
        self.objects = {
            o.key[len(self.folder) :]: o
            for o in self.client.iter_objects(self.bucket, prefix=self.folder)
        }
        return [Item(name, o.size, o.sha256) for name, o in self.objects.items()]

    def key(self, name: str) -> str:
        return under(self.folder, name)

    def delete(self, name: str) -> None:
        self.client.delete_object(self.bucket, self.key(name))


Side = LocalFolder | BucketFolder


@dataclass(frozen=True)
class TransferReport:
    """What was done: names copied and deleted, and ``(name, reason)`` for each failure."""

    copied: tuple[str, ...]
    deleted: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def copy_one(
    source: Side,
    target: Side,
    name: str,
    on_bytes: OnBytes | None = None,
    *,
    target_name: str | None = None,
) -> None:
    """Copy the item ``name`` of ``source`` to ``target_name`` (default: the same name) on
    ``target``. A local target's folders are made as needed."""
    to = name if target_name is None else target_name
    if isinstance(target, BucketFolder):
        key = target.key(to)
        if isinstance(source, BucketFolder):
            target.client.copy_object(
                source.objects[name], source.bucket, target.bucket, key, on_bytes=on_bytes
            )
        else:
            target.client.put_object(target.bucket, key, source.path(name), on_bytes=on_bytes)
    elif isinstance(source, BucketFolder):
        dest = target.path(to)
        dest.parent.mkdir(parents=True, exist_ok=True)
        source.client.download_object(source.bucket, source.key(name), dest, on_bytes=on_bytes)
    else:
        raise ValueError("copying between two local folders is not a bucket transfer")


def fill_digests(side: Side, items: list[Item], names: Iterable[str]) -> list[Item]:
    """``items`` with the digests of ``names`` computed (local files only; a bucket's
    listing already carries them)."""
    if not isinstance(side, LocalFolder):
        return items
    wanted = set(names)
    return [side.digest(i) if i.name in wanted else i for i in items]


def execute(
    plan: TransferPlan,
    source: Side | None,
    target: Side,
    *,
    jobs: int = DEFAULT_JOBS,
    progress: ProgressFactory = no_progress,
    count_progress: ProgressFactory = no_progress,
) -> TransferReport:
    """Copy then delete, ``jobs`` items at a time. Copies report bytes to a ``progress``
    bar; deletions report items to a ``count_progress`` bar."""
    failed: list[tuple[str, str]] = []
    copied: list[str] = []
    deleted: list[str] = []
    if plan.copies:
        assert source is not None
        bar = progress("copying", plan.copy_bytes)
        try:
            copied = _run(
                [i.name for i in plan.copies],
                lambda name: copy_one(source, target, name, bar.update),
                jobs,
                failed,
            )
        finally:
            bar.close()
    if plan.deletes:
        bar = count_progress("deleting", len(plan.deletes))
        try:

            def remove(name: str) -> None:
                target.delete(name)
                bar.update(1)

            deleted = _run([i.name for i in plan.deletes], remove, jobs, failed)
        finally:
            bar.close()
    return TransferReport(tuple(copied), tuple(deleted), tuple(sorted(failed)))


def _run(
    names: list[str], action: Callable[[str], None], jobs: int, failed: list[tuple[str, str]]
) -> list[str]:
    def attempt(name: str) -> str | None:
        try:
            action(name)
        except (ClientError, DomainError, OSError) as exc:
            failed.append((name, _reason(exc)))
            return None
        return name

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return [name for name in pool.map(attempt, names) if name is not None]


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    code = getattr(exc, "code", None)
    if isinstance(message, str) and isinstance(code, str):
        return f"{code}: {message}"
    if isinstance(message, str):
        return message
    return str(exc)
