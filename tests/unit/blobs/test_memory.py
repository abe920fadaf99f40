from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.blobs.memory import MemoryBlobDriver

pytestmark = pytest.mark.unit


def test_the_clock_stamps_commits_and_ages_temporaries() -> None:
    now = [datetime(2030, 1, 1, tzinfo=UTC)]
    driver = MemoryBlobDriver(clock=lambda: now[0])
    writer = driver.writer("a")
    writer.write(b"x")
    now[0] += timedelta(hours=2)
    assert driver.sweep_temporaries(now[0] - timedelta(hours=1)) == 1
    with driver.writer("b") as fresh:
        fresh.write(b"y")
        fresh.commit()
    assert driver.stat("b").modified_at == now[0]
