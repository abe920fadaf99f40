"""Which paths a transfer takes: ``--include`` / ``--exclude`` glob patterns.

The rules are ``huggingface_hub``'s ``allow_patterns`` / ``ignore_patterns``, so a pattern
written for ``hf upload`` means the same here: shell globs matched against the whole path
(``*`` crosses ``/``, so ``*.json`` also takes ``sub/config.json``), a pattern ending in ``/``
stands for everything under that folder, and matching is case-sensitive on every platform.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase


def _normalised(patterns: Iterable[str]) -> tuple[str, ...]:
    return tuple(p + "*" if p.endswith("/") else p for p in patterns if p)


@dataclass(frozen=True)
class PathFilter:
    """Takes a path when it matches some ``include`` pattern (or there are none) and no
    ``exclude`` pattern: an exclusion always wins."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> PathFilter:
        return cls(_normalised(include), _normalised(exclude))

    def __call__(self, path: str) -> bool:
        if self.include and not any(fnmatchcase(path, p) for p in self.include):
            return False
        return not any(fnmatchcase(path, p) for p in self.exclude)


TAKE_ALL = PathFilter()
