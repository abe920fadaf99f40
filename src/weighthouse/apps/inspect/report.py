"""What inspecting one weight file records: its format, tensors and a little metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_TENSORS = 1_000_000
"""More tensors than any real checkpoint holds; a header claiming more is refused."""

MAX_DIMS = 16


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def parameters(self) -> int:
        return math.prod(self.shape)


@dataclass
class FileReport:
    format: str
    tensors: list[TensorInfo] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def parameter_count(self) -> int:
        return sum(t.parameters for t in self.tensors)

    def dtypes(self) -> dict[str, int]:
        """Parameters per dtype."""
        counts: dict[str, int] = {}
        for t in self.tensors:
            counts[t.dtype] = counts.get(t.dtype, 0) + t.parameters
        return dict(sorted(counts.items()))

    def as_json(self, path: str) -> dict[str, Any]:
        return {
            "path": path,
            "format": self.format,
            "tensor_count": len(self.tensors),
            "parameter_count": self.parameter_count,
            "dtypes": self.dtypes(),
            "metadata": self.metadata,
            "tensors": [
                {"name": t.name, "dtype": t.dtype, "shape": list(t.shape)} for t in self.tensors
            ],
        }


def checked_shape(dims: Any, where: str) -> tuple[int, ...]:
    """``dims`` as a shape, or ``ValueError`` when it is not a short list of sizes."""
    if not isinstance(dims, list | tuple) or len(dims) > MAX_DIMS:
        raise ValueError(f"{where}: shape is not a list of at most {MAX_DIMS} sizes")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"{where}: shape holds something other than sizes")
    return tuple(dims)
