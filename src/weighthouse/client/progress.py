"""How long transfers report progress without the client depending on a progress-bar library.

A ``ProgressFactory`` takes a description and a total in bytes and returns a bar; a
``tqdm.tqdm`` fits (the CLI passes one), and ``no_progress`` draws nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class ProgressBar(Protocol):
    def update(self, n: int) -> object: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], ProgressBar]


class _SilentBar:
    def update(self, n: int) -> object:
        return None

    def close(self) -> None:
        return None


def no_progress(description: str, total: int) -> ProgressBar:
    return _SilentBar()
