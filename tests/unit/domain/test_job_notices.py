"""Job callbacks in the domain: the secret handed out once and kept sealed, events in order and
each once, retries with a doubling backoff, giving up, and URLs refused at submission."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.unit.domain.conftest import Hub
from tests.unit.domain.test_jobs import ECHO, MODEL, OUT, request

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import InvalidNotifyUrlError
from weighthouse.domain.job_notices import JobNotices, NoticeFailedError
from weighthouse.domain.job_runs import JobRuns
from weighthouse.domain.jobs import Jobs
from weighthouse.domain.jobs_model import NoticeStage
from weighthouse.security.cipher import AesGcmSecretCipher
from weighthouse.security.outbound import OutboundRules

pytestmark = pytest.mark.unit

HOOK = "https://hooks.example.com/jobs"


def public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


@dataclass
class Receiver:
    """A sender that records what it was given and fails while ``down``."""

    down: int = 0
    got: list[tuple[str, dict[str, object], str]] = field(default_factory=list)

    def send(self, url: str, *, event: str, body: bytes, secret: str) -> None:
        if self.down:
            self.down -= 1
            raise NoticeFailedError("HTTP 503")
        decoded = json.loads(body)
        assert decoded["event"] == event
        self.got.append((url, decoded, secret))


@pytest.fixture
def cipher(tmp_path: Path) -> AesGcmSecretCipher:
    return AesGcmSecretCipher(tmp_path / "keys.json")


@pytest.fixture
def jobs(hub: Hub, alice: Principal, cipher: AesGcmSecretCipher) -> Jobs:
    hub.repos.create(alice, MODEL, private=True)
    hub.repos.create(alice, OUT, private=True)
    rules = OutboundRules(resolve=public)
    return Jobs(hub.catalog, {"echo": ECHO}, hub.clock, outbound=rules, cipher=cipher)


def notices(hub: Hub, receiver: Receiver, cipher: AesGcmSecretCipher) -> JobNotices:
    return JobNotices(hub.catalog, receiver, cipher, hub.clock, max_attempts=3, backoff_seconds=2)


def test_events_go_out_in_order_once_each_signed_with_the_job_secret(
    hub: Hub, jobs: Jobs, alice: Principal, cipher: AesGcmSecretCipher
) -> None:
    submitted = jobs.start(alice, request(notify_url=HOOK))
    secret = submitted.notify_secret
    assert secret is not None and secret.startswith("whsec_")
    job = submitted.job
    assert job.notice is not None and secret not in job.notice.secret  # stored sealed
    receiver = Receiver()
    sender = notices(hub, receiver, cipher)
    assert sender.deliver_due() == 0  # queued: nothing to say yet
    runs = JobRuns(hub.catalog, hub.commits, hub.clock)
    held = runs.claim(["cpu"], "w1")
    assert held is not None
    assert sender.deliver_due() == 1
    assert sender.deliver_due() == 0
    runs.succeed(held, {"answer": 42})
    assert sender.deliver_due() == 1
    assert sender.deliver_due() == 0
    events = [(body["event"], body.get("output")) for _, body, _ in receiver.got]
    assert events == [("STARTED", None), ("SUCCEEDED", {"answer": 42})]
    assert {url for url, _, _ in receiver.got} == {HOOK}
    assert {given for _, _, given in receiver.got} == {secret}
    stored = hub.catalog.get_job(job.id).notice
    assert stored is not None and stored.stage is NoticeStage.DONE and stored.due_at is None


def test_each_job_has_its_own_secret_and_a_queued_cancel_sends_only_cancelled(
    hub: Hub, jobs: Jobs, alice: Principal, cipher: AesGcmSecretCipher
) -> None:
    first = jobs.start(alice, request(notify_url=HOOK))
    second = jobs.start(alice, request(notify_url=HOOK))
    assert first.notify_secret != second.notify_secret
    jobs.cancel(alice, first.job.id)
    receiver = Receiver()
    notices(hub, receiver, cipher).deliver_due()
    assert [(body["event"], body["error"]) for _, body, _ in receiver.got] == [
        ("CANCELLED", "cancelled while queued; it never ran")
    ]


def test_a_failing_receiver_is_retried_with_backoff_then_given_up_on(
    hub: Hub, jobs: Jobs, alice: Principal, cipher: AesGcmSecretCipher
) -> None:
    job = jobs.start(alice, request(notify_url=HOOK)).job
    jobs.cancel(alice, job.id)
    receiver = Receiver(down=1)
    sender = notices(hub, receiver, cipher)
    assert sender.deliver_due() == 0
    waiting = hub.catalog.get_job(job.id).notice
    assert waiting is not None and waiting.error == "CANCELLED: HTTP 503"
    assert sender.deliver_due() == 0  # not before the backoff
    hub.clock.advance(2.1)
    assert sender.deliver_due() == 1
    assert [body["event"] for _, body, _ in receiver.got] == ["CANCELLED"]
    gone = jobs.start(alice, request(notify_url=HOOK)).job
    jobs.cancel(alice, gone.id)
    receiver.down = 10
    for _ in range(3):
        sender.deliver_due()
        hub.clock.advance(60)
    given_up = hub.catalog.get_job(gone.id).notice
    assert given_up is not None and given_up.stage is NoticeStage.DONE
    assert given_up.error == "CANCELLED: HTTP 503 (given up after 3 attempts)"
    assert receiver.down == 7


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://hooks.example.com/_x",
        "http://[::1]/hook",
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://user:pw@hooks.example.com/",
        "hooks.example.com/hook",
        "https://" + "a" * 2050 + ".com/",
    ],
)
def test_urls_the_server_may_not_call_are_refused_at_submission(
    hub: Hub, jobs: Jobs, alice: Principal, url: str
) -> None:
    with pytest.raises(InvalidNotifyUrlError):
        jobs.start(alice, request(notify_url=url))
    assert hub.catalog.due_notices(hub.clock(), 10) == []


def test_a_server_without_callbacks_refuses_a_notify_url(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL, private=True)
    hub.repos.create(alice, OUT, private=True)
    plain = Jobs(hub.catalog, {"echo": ECHO}, hub.clock)
    with pytest.raises(InvalidNotifyUrlError):
        plain.start(alice, request(notify_url=HOOK))
