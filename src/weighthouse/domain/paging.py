"""The page-size rule every listing shares."""

from __future__ import annotations

from weighthouse.domain.errors import InvalidInputError

MAX_PAGE = 1000


def check_limit(limit: int) -> int:
    """``limit`` itself when it is 1 to :data:`MAX_PAGE`; raises ``InvalidInputError`` otherwise."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"limit must be between 1 and {MAX_PAGE}", limit=limit)
    return limit
