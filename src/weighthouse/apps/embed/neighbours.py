"""Each row's nearest rows by cosine similarity, a block of rows at a time so memory stays at
one block by the whole set, not the whole set squared."""

from __future__ import annotations

import numpy as np

BLOCK = 1024


def nearest(vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """For each row, the ``k`` other rows most similar to it, best first, with their cosine
    similarity; ties go to the lower row."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    found: list[list[tuple[int, float]]] = []
    for start in range(0, len(unit), BLOCK):
        scores = unit[start : start + BLOCK] @ unit.T
        for offset, row in enumerate(scores):
            row[start + offset] = -np.inf  # A file is not its own neighbour.
            best = np.argsort(-row, kind="stable")[:k]
            found.append([(int(j), float(row[j])) for j in best])
    return found
