"""The domain tests' hub (use cases on the in-memory catalog) and its users."""

from tests.unit.domain.conftest import alice, bob, hub

__all__ = ["alice", "bob", "hub"]
