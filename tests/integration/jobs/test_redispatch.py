"""Resending the hints of jobs that waited too long, against a real Redis and the installed
dramatiq: one hint per waiting job beyond those Redis still holds, and a bounded number per
round when the hints cannot be counted (dramatiq's layout changed), never one per job at every
round."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from dramatiq.brokers.redis import RedisBroker
from tests.services import redis_url

from weighthouse.jobs.redis_engine import Redispatcher, create_broker, layout_holds, pending_hints

pytestmark = pytest.mark.integration


@pytest.fixture
def broker() -> Iterator[RedisBroker]:
    """A broker in a namespace of this test's own in the shared Redis, emptied afterwards."""
    broker = create_broker(redis_url(), namespace=f"weighthouse-test-{secrets.token_hex(6)}")
    yield broker
    keys = list(broker.client.scan_iter(f"{broker.namespace}:*"))
    if keys:
        broker.client.delete(*keys)
    broker.client.close()


def test_the_installed_dramatiq_keeps_the_layout_the_count_reads(broker: RedisBroker) -> None:
    """Fails when an upgrade of dramatiq moves its waiting messages: the count is then not
    trusted (below), and this test says why."""
    assert layout_holds(broker)
    # The probe leaves no message behind (dramatiq notes every broker's heartbeat anyway).
    keys = broker.client.scan_iter(f"{broker.namespace}:*")
    assert [key for key in keys if b"__heartbeats__" not in key] == []


def test_hints_are_resent_only_beyond_those_still_waiting(broker: RedisBroker) -> None:
    again = Redispatcher(broker, {"inspect": 2, "scan": 1})
    assert again.send({"inspect": 5, "scan": 1}) == 6
    assert pending_hints(broker, "inspect") == 5 and pending_hints(broker, "scan") == 1
    assert again.send({"inspect": 5, "scan": 1}) == 0
    assert again.send({"inspect": 7}) == 2
    # Redis lost them (restarted empty): all are sent again.
    broker.flush("inspect")
    assert again.send({"inspect": 7}) == 7
    assert again.send({}) == 0


class MovedLayout:
    """The installed broker, as if a newer dramatiq kept waiting messages elsewhere."""

    def __init__(self, broker: RedisBroker) -> None:
        self.client = broker.client
        self.namespace = broker.namespace + "-elsewhere"
        self._broker = broker

    def enqueue(self, message: object) -> None:
        self._broker.enqueue(message)  # type: ignore[arg-type]

    def flush(self, queue: str) -> None:
        self._broker.flush(queue)


def test_hints_that_cannot_be_counted_are_resent_a_concurrency_s_worth_per_round(
    broker: RedisBroker,
) -> None:
    moved = MovedLayout(broker)
    assert not layout_holds(moved)  # type: ignore[arg-type]
    again = Redispatcher(moved, {"inspect": 2})  # type: ignore[arg-type]
    # Not trusted before the layout is checked either: the first round is bounded too.
    for _ in range(3):
        assert again.send({"inspect": 50}) == 2
    assert pending_hints(broker, "inspect") == 6
