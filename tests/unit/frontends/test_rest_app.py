"""The REST application as a whole: FastAPI's own OpenTelemetry instrumentation stays off, so
a request never asks the global providers anything, even when one is configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import Settings
from weighthouse.frontends.rest.app import create_rest_app

trace = pytest.importorskip("opentelemetry.trace")

pytestmark = pytest.mark.unit


@pytest.fixture
def container(tmp_path: Any) -> Iterator[Container]:
    container = bootstrap(Settings(data_dir=tmp_path))
    start(container)
    yield container
    container.close()


class _RecordingProvider(trace.TracerProvider):  # type: ignore[misc]
    """A configured provider (not one of the API's deferred proxies) that records each ask."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_tracer(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(name)
        return trace.NoOpTracer()


def test_requests_leave_a_configured_tracer_provider_alone(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = _RecordingProvider()
    # The API lets a process set its global provider once; the test swaps it in and back.
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    with TestClient(create_rest_app(container)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/buckets/nobody/none/objects/k").status_code in (401, 404)
    assert provider.asked == []
