"""The domain's error tree, for the completeness tests of every protocol's error table."""

from __future__ import annotations

from weighthouse.domain import errors

DOMAIN = "weighthouse.domain."


def all_errors(
    cls: type[errors.DomainError] = errors.DomainError,
) -> list[type[errors.DomainError]]:
    """``cls`` and every error below it that the domain declares: subclasses a test makes of
    its own (to check that a table falls back to the nearest parent) are left out, or they
    would count as missing in every completeness test that runs after it in the process."""
    found = [cls]
    for sub in cls.__subclasses__():
        if sub.__module__.startswith(DOMAIN):
            found.extend(all_errors(sub))
    return found


def missing_entries(table: dict[type[errors.DomainError], object]) -> list[str]:
    """The names of the concrete domain errors ``table`` has no entry of its own for."""
    return [error.__name__ for error in all_errors() if error not in table]
