"""The globals every pickle of one file names: a plain pickle (or several in a row), a legacy
``torch.save`` stream, or each ``.pkl`` member of a zip (PyTorch's ``data.pkl``, TorchScript's
``constants.pkl``)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect.pytorch import LEGACY_MAGIC, ZIP_ERRORS, looks_like_zip
from weighthouse.apps.pickled import Global, walk
from weighthouse.apps.scan.verdict import (
    DANGEROUS,
    RANK,
    SAFE,
    SUSPICIOUS,
    classify,
    worst,
)
from weighthouse.apps.weight_files import BoundedReader

LEGACY_PICKLES = 5
MAX_MEMBERS = 1024
PROTO = 0x80


@dataclass
class FileScan:
    pickles: int = 0
    globals: dict[str, str] = field(default_factory=dict)
    """Each global named, ``module.name``, with its verdict."""
    imports: dict[tuple[str, str], str] = field(default_factory=dict)
    """The same, by ``(module, name)``: a dotted name alone cannot say where the module ends."""
    errors: list[str] = field(default_factory=list)
    not_pickle: bool = False
    """The file is no pickle at all (raw data with a pickle's suffix): nothing would load it."""

    def add(self, found: list[Global]) -> None:
        for g in found:
            verdict = self.globals.setdefault(str(g), classify(g.module, g.name))
            self.imports.setdefault((g.module, g.name), verdict)

    @property
    def verdict(self) -> str:
        base = worst(self.globals.values())
        # A pickle (or zip) that could not be read to its end cannot be vouched for.
        return SUSPICIOUS if base == SAFE and self.errors and not self.not_pickle else base

    def as_json(self, path: str) -> dict[str, Any]:
        return {
            "path": path,
            "verdict": self.verdict,
            "pickles": self.pickles,
            "dangerous": sorted(g for g, v in self.globals.items() if v == DANGEROUS),
            "suspicious": sorted(g for g, v in self.globals.items() if v == SUSPICIOUS),
            "globals": sorted(self.globals),
            # Worst first, so a shortened list keeps what matters.
            "imports": [
                {"module": module, "name": name, "verdict": verdict}
                for (module, name), verdict in sorted(
                    self.imports.items(), key=lambda item: (-RANK[item[1]], item[0])
                )
            ],
            "errors": self.errors,
        }


def scan_stream(stream: BinaryIO) -> FileScan:
    reader = BoundedReader(stream)
    head = reader.read(4)
    reader.seek(0)
    scan = FileScan()
    if looks_like_zip(head):
        _scan_zip(reader, scan)
    else:
        _scan_pickles(reader, scan)
        scan.not_pickle = scan.pickles == 0 and not scan.globals
    return scan


def _scan_pickles(reader: BoundedReader, scan: FileScan) -> None:
    limit: int | None = None
    while limit is None or scan.pickles < limit:
        found: list[Global] = []
        try:
            walked = walk(reader, found)
        except AppFailed as e:
            scan.add(found)
            if scan.pickles == 0 and not found:
                scan.errors.append(f"not a pickle: {str(e)[:200]}")
            elif found:
                # A pickle runs its calls as it reads them: what came before the fault counts.
                scan.errors.append(str(e)[:200])
                scan.pickles += 1
            return
        scan.add(found)
        scan.pickles += 1
        if scan.pickles == 1 and walked.result == LEGACY_MAGIC:
            limit = LEGACY_PICKLES
        elif limit is None and reader.read(1)[:1] != bytes([PROTO]):
            return  # What follows is data, not another pickle.
        elif limit is None:
            reader.seek(-1, 1)


def _scan_zip(reader: BoundedReader, scan: FileScan) -> None:
    try:
        with zipfile.ZipFile(reader) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".pkl")]
            if len(members) > MAX_MEMBERS:
                scan.errors.append(
                    f"{len(members)} pickles in the zip; the first {MAX_MEMBERS} read"
                )
            for info in members[:MAX_MEMBERS]:
                with archive.open(info) as member:
                    _scan_pickles(BoundedReader(member, info.file_size), scan)  # type: ignore[arg-type]
    except ZIP_ERRORS as e:
        scan.errors.append(f"unreadable zip: {str(e)[:200]}")
