"""How people write a repo on the command line: ``namespace/name[@revision]``.

The namespace may be left out where the server can default it (creating a repo in your own
namespace); the revision is a branch, a tag, a commit id or ``latest``.
"""

from __future__ import annotations

from dataclasses import dataclass

from weighthouse.domain.model import RepoType
from weighthouse.domain.names import is_valid_name

DEFAULT_REVISION = "main"
"""The revision every command and function reads when none is given: the head of ``main``,
where pushes go, so what was just pushed is what is read. ``@latest`` asks for the highest
version tag instead."""

_URL_KINDS = {RepoType.MODEL: "models", RepoType.DATASET: "datasets", RepoType.BUCKET: "buckets"}


def url_kind(repo_type: RepoType | str) -> str:
    """The plural that REST URLs use for ``repo_type``: ``models``, ``datasets``, ``buckets``."""
    return _URL_KINDS[RepoType(repo_type)]


@dataclass(frozen=True)
class RepoAddress:
    namespace: str | None
    name: str
    revision: str | None = None

    @property
    def id(self) -> str:
        """``namespace/name``; only valid once the namespace is known."""
        if self.namespace is None:
            raise ValueError(f"{self.name!r} needs a namespace: write it as namespace/name")
        return f"{self.namespace}/{self.name}"

    def with_namespace(self, namespace: str) -> RepoAddress:
        return RepoAddress(self.namespace or namespace, self.name, self.revision)

    def __str__(self) -> str:
        base = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{base}@{self.revision}" if self.revision else base


def parse_repo_address(
    text: str, *, allow_revision: bool = True, require_namespace: bool = True
) -> RepoAddress:
    """Parse ``namespace/name[@revision]``; raise ``ValueError`` with a message fit to show.

    Names are checked with the server's own rule so a typo fails before any request is made.
    """
    base, at, revision = text.partition("@")
    if at and not allow_revision:
        raise ValueError(f"{text!r}: a revision (@...) is not allowed here")
    if at and not revision:
        raise ValueError(f"{text!r}: nothing after '@'; write namespace/name@revision")
    parts = base.split("/")
    if len(parts) > 2:
        raise ValueError(f"{text!r}: expected namespace/name, found {len(parts) - 1} slashes")
    if len(parts) == 1 and require_namespace:
        raise ValueError(f"{text!r}: expected namespace/name")
    for part in parts:
        if not is_valid_name(part):
            raise ValueError(
                f"{text!r}: {part!r} is not a valid name (ASCII letters, digits, '-', '_' and "
                "'.'; no leading or trailing '-' or '.', no '--' or '..')"
            )
    namespace = parts[0] if len(parts) == 2 else None
    return RepoAddress(namespace, parts[-1], revision or None)
