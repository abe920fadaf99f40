"""What the event-loop tests of the REST front-end share (``test_loop_reads.py``,
``test_loop_writes.py``): an application on a fresh data directory with buckets of the admin,
and a count of the trips a module makes to worker threads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from weighthouse.bootstrap import bootstrap, start
from weighthouse.config import Settings
from weighthouse.frontends.rest.app import create_rest_app

ADMIN = "wh_0123456789abcdef_" + "a" * 43
AUTH = {"Authorization": f"Bearer {ADMIN}"}


def serve(
    data_dir: Path, buckets: tuple[str, ...] = ("b",), **settings: Any
) -> Iterator[TestClient]:
    """A client of the REST application on ``data_dir`` with ``settings``; the admin (token
    ``ADMIN``) owns ``buckets``, made through the API, so the principal cache knows the token."""
    container = bootstrap(Settings(data_dir=data_dir, admin={"token": ADMIN}, **settings))
    start(container)
    try:
        with TestClient(create_rest_app(container)) as client:
            for name in buckets:
                made = client.post(
                    "/api/repos", json={"type": "bucket", "name": name}, headers=AUTH
                )
                assert made.status_code == 201, made.text
            yield client
    finally:
        container.close()


def count_trips(monkeypatch: pytest.MonkeyPatch, module: ModuleType, label: str) -> list[str]:
    """``label`` once for every call ``module`` makes to its ``in_thread`` from now on."""
    seen: list[str] = []
    original: Callable[..., Any] = module.in_thread

    async def counted(executor: Any, call: Callable[[], Any]) -> Any:
        seen.append(label)
        return await original(executor, call)

    monkeypatch.setattr(module, "in_thread", counted)
    return seen
