"""Callbacks of jobs: their events POSTed to the URL the owner named, signed, retried, durable.

A job submitted with a ``notify_url`` gets a signing secret of its own, returned to its owner
once and kept sealed by the server's secret cipher; a receiver checks each request's signature
with it. A secret per job rather than one per server: a receiver of one owner's callbacks
cannot sign requests that look like another owner's.

Events go out in order, each at least once: ``STARTED`` when a worker first runs the job
(never for a job cancelled while queued), then one of ``SUCCEEDED``, ``FAILED`` or
``CANCELLED``. What is still to be sent lives in the job's row (:class:`Notice`), so a
delivery pending when the server stops is sent after it starts again. A sender claims an event
by bumping its attempt count (compare-and-swap), so two senders do not post it at once, and a
failed try is retried with a doubling backoff until ``max_attempts``; then that event is given
up on, with the reason kept in ``notice.error``. Receivers must accept an event twice (a sender
that died after posting, before recording it, posts it again).

Where a callback may go is the :class:`OutboundPolicy`'s to say, at submission and again on
every connection (an address a name resolves to may change).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from weighthouse.domain.errors import DomainError, InvalidNotifyUrlError
from weighthouse.domain.jobs_catalog import JobCatalog
from weighthouse.domain.jobs_model import Job, JobStatus, Notice, NoticeStage
from weighthouse.domain.ports import Clock, SecretCipher

NOTIFY_URL_MAX = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not one
BATCH = 20
ERROR_MAX = 500

FINAL_EVENTS = {
    JobStatus.SUCCEEDED: "SUCCEEDED",
    JobStatus.FAILED: "FAILED",
    JobStatus.CANCELLED: "CANCELLED",
}


class NoticeFailedError(Exception):
    """A delivery did not succeed: refused address, connection error, timeout, redirect or a
    status other than 2xx. The message says which, for ``notice.error``."""


class OutboundPolicy(Protocol):
    def check(self, url: str) -> None:
        """Raise ``InvalidNotifyUrlError`` unless the server may call ``url``: http or https,
        an allowed host, and every address its host resolves to allowed."""
        ...


class NoticeSender(Protocol):
    def send(self, url: str, *, event: str, body: bytes, secret: str) -> None:
        """POST ``body`` to ``url``, signed with ``secret``, connecting only to addresses the
        policy allows as resolved now and following no redirect. Raises
        ``NoticeFailedError``."""
        ...


def context_of(job_id: str) -> bytes:
    """Binds a sealed secret to its job, so it cannot be moved to another's row."""
    return f"job-notify:{job_id}".encode()


def new_notice(
    url: str, job_id: str, policy: OutboundPolicy | None, cipher: SecretCipher
) -> tuple[Notice, str]:
    """A notice for a new job and the plain secret to hand its owner; raises
    ``InvalidNotifyUrlError`` for a URL the server may not call."""
    if len(url) > NOTIFY_URL_MAX:
        raise InvalidNotifyUrlError(f"a notify_url must be at most {NOTIFY_URL_MAX} characters")
    if policy is None:
        raise InvalidNotifyUrlError("this server sends no job callbacks")
    policy.check(url)
    secret = SECRET_PREFIX + secrets.token_hex(32)
    sealed = cipher.seal(secret.encode(), context=context_of(job_id))
    return Notice(url=url, secret=sealed), secret


def next_event(job: Job) -> tuple[str, NoticeStage] | None:
    """The event of ``job`` to send now and the stage it reaches once sent, if any."""
    notice = job.notice
    if notice is None:
        return None
    if notice.stage is NoticeStage.NONE and job.started_at is not None:
        return "STARTED", NoticeStage.STARTED
    if job.status.final and notice.stage < NoticeStage.DONE:
        return FINAL_EVENTS[job.status], NoticeStage.DONE
    return None


def payload(job: Job, event: str) -> bytes:
    """``{event, job_id, app, label, status}``, with ``output`` for ``SUCCEEDED`` and
    ``error`` for ``FAILED`` and ``CANCELLED``."""
    body: dict[str, Any] = {
        "event": event,
        "job_id": job.id,
        "app": job.app,
        "label": job.label,
        "status": job.status.value if event != "STARTED" else JobStatus.RUNNING.value,
    }
    if event == "SUCCEEDED":
        body["output"] = None if job.output is None else dict(job.output)
        body["result_commit"] = job.result_commit
    elif event != "STARTED":
        body["error"] = job.error or event.lower()
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


class JobNotices:
    def __init__(
        self,
        catalog: JobCatalog,
        sender: NoticeSender,
        cipher: SecretCipher,
        clock: Clock,
        *,
        max_attempts: int = 8,
        backoff_seconds: float = 2.0,
        claim_seconds: float = 60.0,
    ) -> None:
        self._catalog = catalog
        self._sender = sender
        self._cipher = cipher
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._claim = timedelta(seconds=claim_seconds)

    def deliver_due(self, limit: int = BATCH) -> int:
        """Send the events that are due, one try each; returns how many were sent. Safe to
        run from every worker process at once."""
        sent = 0
        for job in self._catalog.due_notices(self._clock(), limit):
            sent += self._deliver(job)
        return sent

    def _deliver(self, job: Job) -> bool:
        due = next_event(job)
        notice = job.notice
        if due is None or notice is None:
            return False
        event, reached = due
        now = self._clock()
        # The claim: one more attempt, and no other sender's turn until it expires.
        claimed = replace(notice, attempts=notice.attempts + 1, due_at=now + self._claim)
        if not self._catalog.update_notice(job.id, claimed, notice):
            return False
        try:
            secret = self._cipher.open(notice.secret, context=context_of(job.id)).decode()
            self._sender.send(notice.url, event=event, body=payload(job, event), secret=secret)
        except (NoticeFailedError, DomainError) as exc:
            self._failed(job, claimed, reached, f"{event}: {exc}"[:ERROR_MAX])
            return False
        after = None if reached is NoticeStage.DONE else self._clock()
        done = Notice(notice.url, notice.secret, reached, 0, after, None)
        self._catalog.update_notice(job.id, done, claimed)
        return True

    def _failed(self, job: Job, claimed: Notice, reached: NoticeStage, error: str) -> None:
        if claimed.attempts >= self._max_attempts:
            # Given up on this event; the next one (if any) is still sent.
            after = None if reached is NoticeStage.DONE else self._clock()
            error = f"{error} (given up after {claimed.attempts} attempts)"
            moved = Notice(claimed.url, claimed.secret, reached, 0, after, error)
        else:
            delay = self._backoff * 2 ** (claimed.attempts - 1)
            moved = replace(claimed, due_at=self._clock() + timedelta(seconds=delay), error=error)
        self._catalog.update_notice(job.id, moved, claimed)
