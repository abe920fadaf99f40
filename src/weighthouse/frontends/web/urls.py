"""The web pages' URLs, built in one place. Everything lives under :data:`MOUNT`, so no page
can shadow the API (``/api``), the Hub API (``/hf``) or the documentation pages."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from weighthouse.domain.model import Repo, RepoId, RepoType

MOUNT = "/ui"
KINDS = {"models": RepoType.MODEL, "datasets": RepoType.DATASET, "buckets": RepoType.BUCKET}
PLURALS = {kind: plural for plural, kind in KINDS.items()}


def page(where: str = "", /, **query: str | int | None) -> str:
    """``MOUNT/where`` with the query parameters that are not ``None``."""
    url = f"{MOUNT}/{where.lstrip('/')}"
    kept = {k: str(v) for k, v in query.items() if v is not None and v != ""}
    return f"{url}?{urlencode(kept)}" if kept else url


def repo(target: Repo | RepoId, view: str = "", /, **query: str | int | None) -> str:
    """The URL of a repo's page, or of one of its views (``tree``, ``blob``, ``commits``...)."""
    base = (
        f"{PLURALS[target.type]}/{quote(target.namespace, safe='')}/{quote(target.name, safe='')}"
    )
    return page(f"{base}/{view}" if view else base, **query)
