"""Constants of Weighthouse's gRPC API shared by the server and its clients: metadata keys and
limits. Stands alone so that a client imports it without the server."""

from __future__ import annotations

USER_TOKEN_KEY = "user_token"  # noqa: S105 - a metadata key, not a secret
"""Call metadata: where the model catalog's clients send their token (``authorization:
Bearer`` is the other place)."""
SHA256_KEY = "x-weighthouse-sha256"
"""Initial metadata of a download: the hex SHA-256 of the whole file, to check a resumed one."""
SIZE_KEY = "x-weighthouse-size"
"""Initial metadata of a download: the whole file's size in bytes, whatever the offset."""
COMMIT_KEY = "x-weighthouse-commit"
"""Initial metadata of a file download: the commit the revision resolved to."""
DEFAULT_CHUNK_BYTES = 2**20
"""What the server sends per download message, and what clients should send per upload one."""
COMMIT_OPERATIONS_MAX = 25_000
"""Operations one Commit call may carry (the core's own limit)."""
