"""The server's periodic lifecycle run: a run carries out the rules and says what it did, a run
that fails is logged and tried again at the next interval, and the thread stops when told."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from tests.unit.domain.conftest import Hub, make_hub

from weighthouse.domain.access import Principal
from weighthouse.domain.bucket_configurations import BucketConfigurations
from weighthouse.domain.errors import StorageError
from weighthouse.domain.lifecycle import LifecycleFilter, LifecycleRule
from weighthouse.domain.lifecycle_runs import LifecycleRuns
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.jobs.lifecycle_timer import LifecycleTimer
from weighthouse.metadata.memory import MemoryCatalog

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "aging")
PAST = LifecycleRule(
    id="past",
    enabled=True,
    filter=LifecycleFilter(prefix="old/"),
    expiration_date=datetime(2015, 1, 1, tzinfo=UTC),
)


def aging_bucket(catalog: MemoryCatalog) -> tuple[LifecycleRuns, Hub, Principal]:
    hub = make_hub(catalog)
    alice = hub.user("alice")
    hub.repos.create(alice, BUCKET, private=True)
    hub.buckets.put(alice, BUCKET, "old/a", [b"a"])
    hub.buckets.put(alice, BUCKET, "new/a", [b"a"])
    BucketConfigurations(catalog).set_lifecycle(alice, BUCKET, [PAST])
    return LifecycleRuns(catalog, hub.clock, hub.audit), hub, alice


def test_a_run_carries_out_the_rules_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    runs, hub, alice = aging_bucket(MemoryCatalog())
    with caplog.at_level(logging.INFO, logger="weighthouse.lifecycle"):
        LifecycleTimer(runs, 60).run_once()
        LifecycleTimer(runs, 60).run_once()  # nothing left: nothing said
    assert [o.key for o in hub.buckets.list(alice, BUCKET).objects] == ["new/a"]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "1 objects expired" in said[0]


def test_a_failed_run_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = MemoryCatalog()
    runs, hub, alice = aging_bucket(catalog)
    failing = True
    listed = catalog.list_configured_buckets

    def flaky(*args: object) -> object:
        if failing:
            raise StorageError("the catalog did not answer")
        return listed(*args)  # type: ignore[arg-type]

    catalog.list_configured_buckets = flaky  # type: ignore[method-assign]
    timer = LifecycleTimer(runs, 0.01)
    with caplog.at_level(logging.WARNING, logger="weighthouse.lifecycle"):
        timer.start()
        deadline = time.monotonic() + 30
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
        failing = False
        while len(hub.buckets.list(alice, BUCKET).objects) == 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        timer.stop()
    assert "lifecycle run failed" in caplog.records[0].getMessage()
    assert [o.key for o in hub.buckets.list(alice, BUCKET).objects] == ["new/a"]
    assert timer._thread is not None and not timer._thread.is_alive()
