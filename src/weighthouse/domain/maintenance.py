"""Garbage collection and consistency checks.

GC is mark and sweep. Mark: every blob a tree entry or object refers to. Sweep: every stored
blob that is not marked, is older than the grace period, and is *still* unreferenced when
checked again just before deletion (a commit may have landed meanwhile). Uploads refresh a
blob's modification time, so content re-uploaded while GC runs is inside the grace period.
The records of who uploaded what (proof before reuse, :mod:`~weighthouse.domain.blob_proof`)
expire with the same grace period, so GC forgets those older than it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from weighthouse.domain.catalog import BlobSourceCatalog, MultipartCatalog, ReferenceCatalog
from weighthouse.domain.errors import BlobMissingError, DeploymentMismatchError
from weighthouse.domain.ports import BlobStore, Clock


@dataclass(frozen=True)
class GcReport:
    blobs_removed: int
    bytes_removed: int
    blobs_kept_in_grace: int
    temporaries_removed: int
    dry_run: bool
    upload_records_removed: int = 0
    multipart_uploads_removed: int = 0
    manifests_removed: int = 0


@dataclass
class FsckReport:
    """What ``fsck`` found. ``clean`` means the catalog and the store agree and no blob rotted."""

    blobs_checked: int = 0
    bytes_checked: int = 0
    references_checked: int = 0
    corrupt: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    size_mismatch: list[str] = field(default_factory=list)
    unreferenced: int = 0

    @property
    def clean(self) -> bool:
        return not (self.corrupt or self.missing or self.size_mismatch)


class MaintenanceCatalog(ReferenceCatalog, BlobSourceCatalog, MultipartCatalog, Protocol):
    """What the garbage collector and fsck read and prune."""


class Maintenance:
    def __init__(self, references: MaintenanceCatalog, blobs: BlobStore, clock: Clock) -> None:
        self._references = references
        self._blobs = blobs
        self._clock = clock

    def gc(
        self,
        grace: timedelta,
        *,
        dry_run: bool = False,
        force: bool = False,
        abandoned_uploads: timedelta | None = None,
    ) -> GcReport:
        """Remove unreferenced blobs older than ``grace``, stale temporary uploads, and upload
        records older than ``grace`` (the unreferenced bytes they vouch for may be gone).
        With ``abandoned_uploads``, first end the multipart uploads started longer ago than
        that, so their parts' blobs go in the same sweep once past the grace period.

        A catalog that refers to no blob at all over a store that holds blobs is far more
        likely the wrong catalog than an empty deployment, so that raises
        :class:`DeploymentMismatchError` before anything is removed, unless ``force``.
        """
        now = self._clock()
        cutoff = now - grace
        abandoned = 0
        if abandoned_uploads is not None and not dry_run:
            abandoned = self._references.prune_uploads(now - abandoned_uploads)
        marked = {sha256 for sha256, _ in self._references.referenced_blobs()}
        if not (marked or dry_run or force) and next(iter(self._blobs.walk()), None):
            raise DeploymentMismatchError(
                "the catalog refers to no blob at all, yet the blob store holds blobs: "
                "refusing to delete every one of them (check the database settings; "
                "--force deletes them anyway)"
            )
        temporaries = 0 if dry_run else self._blobs.sweep_temporaries(cutoff)
        records = 0 if dry_run else self._references.prune_blob_uploads(cutoff)
        # A manifest no object names holds no blob (those are marked only while an object
        # names it), so removing it after marking changes nothing the sweep decides.
        manifests = 0 if dry_run else self._references.prune_manifests(cutoff)
        removed = removed_bytes = young = 0
        for blob in self._blobs.walk():
            if blob.sha256 in marked:
                continue
            if blob.modified_at > cutoff:
                young += 1
                continue
            if self._references.is_referenced(blob.sha256):
                continue
            if not dry_run:
                self._blobs.delete(blob.sha256)
            removed += 1
            removed_bytes += blob.size
        return GcReport(
            removed, removed_bytes, young, temporaries, dry_run, records, abandoned, manifests
        )

    def fsck(self, *, verify_content: bool = True) -> FsckReport:
        """Check every reference has a blob of the right size, and (with ``verify_content``)
        that every stored blob still hashes to its name."""
        report = FsckReport()
        referenced: set[str] = set()
        for sha256, size in self._references.referenced_blobs():
            referenced.add(sha256)
            report.references_checked += 1
            try:
                stored = self._blobs.stat(sha256)
            except BlobMissingError:
                report.missing.append(sha256)
                continue
            if stored.size != size:
                report.size_mismatch.append(sha256)
        for blob in self._blobs.walk():
            report.blobs_checked += 1
            report.bytes_checked += blob.size
            if blob.sha256 not in referenced:
                report.unreferenced += 1
            if verify_content and not self._blobs.verify(blob.sha256):
                report.corrupt.append(blob.sha256)
        return report
