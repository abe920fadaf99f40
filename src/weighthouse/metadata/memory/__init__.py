"""The catalog in process memory: ``MemoryCatalog``, for unit tests and throw-away servers.

Standard library only; it passes the same contract suite as ``SqlCatalog``.
"""

from weighthouse.metadata.memory.catalog import MemoryCatalog

__all__ = ["MemoryCatalog"]
