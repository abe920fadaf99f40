"""What a ``cp -r``, ``sync`` or ``rm -r`` will do, decided before any byte moves.

Pure: the caller lists both sides (a local folder or a bucket prefix) as :class:`Item`\\ s named
relative to their root, and gets back a :class:`TransferPlan`. Nothing here reads the disk or
the network, so every rule is covered by unit tests.

``sync`` compares by name, size and SHA-256: an item is unchanged only when its size and its
digest are equal on both sides. A local file is hashed only when its size already matches (the
caller asks :func:`needs_digest` which); an item whose digest is unknown counts as changed, so
a doubt costs a copy, never a stale file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """A file or object: ``name`` relative to its side's root, ``/``-separated; ``sha256``
    is ``None`` when not known yet (a local file not hashed)."""

    name: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class TransferPlan:
    """``copies`` go from the source to the same name on the target; ``deletes`` are target
    items to remove; ``unchanged`` are left alone. Each is sorted by name."""

    copies: tuple[Item, ...] = ()
    deletes: tuple[Item, ...] = ()
    unchanged: tuple[Item, ...] = ()

    @property
    def copy_bytes(self) -> int:
        return sum(item.size for item in self.copies)

    @property
    def is_empty(self) -> bool:
        return not self.copies and not self.deletes


def _by_name(items: Iterable[Item]) -> dict[str, Item]:
    table: dict[str, Item] = {}
    for item in items:
        if item.name in table:
            raise ValueError(f"{item.name!r} is listed twice")
        table[item.name] = item
    return table


def _sorted(items: Iterable[Item]) -> tuple[Item, ...]:
    return tuple(sorted(items, key=lambda i: i.name.encode("utf-8")))


def plan_copy(source: Iterable[Item]) -> TransferPlan:
    """``cp -r``: every source item is copied, replacing what the target holds."""
    return TransferPlan(copies=_sorted(_by_name(source).values()))


def plan_removal(target: Iterable[Item]) -> TransferPlan:
    """``rm -r``: every item goes."""
    return TransferPlan(deletes=_sorted(_by_name(target).values()))


def needs_digest(source: Iterable[Item], target: Iterable[Item]) -> list[str]:
    """Names present on both sides with equal sizes where a digest is missing on either:
    the only items worth hashing before :func:`plan_sync`."""
    theirs = _by_name(target)
    wanted = []
    for item in _by_name(source).values():
        other = theirs.get(item.name)
        unknown = other is not None and (item.sha256 is None or other.sha256 is None)
        if unknown and other is not None and other.size == item.size:
            wanted.append(item.name)
    return sorted(wanted, key=lambda n: n.encode("utf-8"))


def plan_sync(source: Iterable[Item], target: Iterable[Item], *, delete: bool) -> TransferPlan:
    """``sync``: copy what is missing or different on the target; with ``delete``, remove
    target items the source does not have."""
    mine = _by_name(source)
    theirs = _by_name(target)
    copies, unchanged = [], []
    for name, item in mine.items():
        other = theirs.get(name)
        if other is not None and _same(item, other):
            unchanged.append(item)
        else:
            copies.append(item)
    deletes = [item for name, item in theirs.items() if name not in mine] if delete else []
    return TransferPlan(_sorted(copies), _sorted(deletes), _sorted(unchanged))


def _same(a: Item, b: Item) -> bool:
    return a.size == b.size and a.sha256 is not None and a.sha256 == b.sha256
