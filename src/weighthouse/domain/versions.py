"""The rule for "latest": the highest tag that reads as a version, else the head of ``main``.

A version tag is ``[v]N[.N]*[-pre][+build]`` with decimal numbers. Tags compare as semantic
versions: numerically by release numbers (``10`` > ``9``, ``1.10`` > ``1.9``, missing numbers
count as 0), a release above any of its pre-releases, pre-release identifiers compared as
SemVer 2 says (numbers numerically and below words). Build metadata does not order; ties break
by the tag's creation time, then name, so the choice is always the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from weighthouse.domain.model import Ref, RefKind

_VERSION = re.compile(
    r"[vV]?(?P<release>\d+(?:\.\d+)*)(?:-(?P<pre>[0-9A-Za-z.\-]+))?(?:\+[0-9A-Za-z.\-]+)?"
)

_PreKey = tuple[tuple[int, int, str], ...]


def version_key(tag: str) -> tuple[tuple[int, ...], int, _PreKey] | None:
    """A sort key for a version tag, or ``None`` when the tag is not a version."""
    match = _VERSION.fullmatch(tag)
    if not match:
        return None
    release = tuple(int(part) for part in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    pre = match["pre"]
    if pre is None:
        return (release, 1, ())
    idents = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
    )
    return (release, 0, idents)


def latest_version(refs: Iterable[Ref]) -> Ref | None:
    """The tag that "latest" names, or ``None`` when no tag reads as a version."""
    best: tuple[object, datetime, str] | None = None
    chosen: Ref | None = None
    for ref in refs:
        if ref.kind is not RefKind.TAG:
            continue
        key = version_key(ref.name)
        if key is None:
            continue
        candidate = (key, ref.created_at, ref.name)
        if best is None or candidate > best:
            best, chosen = candidate, ref
    return chosen
