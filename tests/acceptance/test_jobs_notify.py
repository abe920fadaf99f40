"""Job callbacks on a live server, to a real HTTP receiver on loopback (allowed here by
``jobs.notify_networks``): each job's events arrive in order, signed with the secret its owner
got once at submission, for a success, a failure, a cancel while running and one while queued;
and a callback the receiver could not take is sent after the server is killed and restarted."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.acceptance.api import Account, make_user
from tests.acceptance.live import LiveServer
from tests.acceptance.test_jobs import FINAL, job_env, wait_for
from weighthouse import wire
from weighthouse.client.notices import InvalidNoticeError, verify_notice

pytestmark = pytest.mark.acceptance


class Receiver(http.server.ThreadingHTTPServer):
    """Keeps every callback as received; answers ``status``."""

    status = 204

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.got: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def bodies(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return [(headers, body) for p, headers, body in self.got if p == path]


class Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.got.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    env = job_env() | {
        "WEIGHTHOUSE_JOBS__NOTIFY_NETWORKS": json.dumps(["127.0.0.0/8"]),
        # Retries come fast and many, and a claimed try that was cut off is free again soon
        # (three times the timeout): the restart test need not wait long for either.
        "WEIGHTHOUSE_JOBS__NOTIFY_BACKOFF_SECONDS": "0.05",
        "WEIGHTHOUSE_JOBS__NOTIFY_ATTEMPTS": "50",
        "WEIGHTHOUSE_JOBS__NOTIFY_TIMEOUT_SECONDS": "1",
    }
    data_dir = tmp_path_factory.mktemp("notify") / "data"
    live = LiveServer(data_dir=data_dir, workers=server_workers, extra_env=env).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


def events(
    receiver: Receiver, path: str, secret: str, count: int, timeout: float = 20
) -> list[dict[str, Any]]:
    """The first ``count`` callbacks to ``path``, each checked against ``secret``."""
    deadline = time.monotonic() + timeout
    while len(receiver.bodies(path)) < count:
        assert time.monotonic() < deadline, receiver.bodies(path)
        time.sleep(0.05)
    checked = []
    for headers, body in receiver.bodies(path):
        found = verify_notice(secret, body, headers[wire.NOTICE_SIGNATURE_HEADER])
        assert headers[wire.NOTICE_EVENT_HEADER] == found["event"]
        checked.append(found)
    return checked


def submit(
    client: httpx.Client, receiver: Receiver, path: str, *, base: str | None = None, **body: Any
) -> tuple[str, str]:
    """Submit a job calling back to ``path`` of ``receiver`` (at ``base``, when given)."""
    url = (base or receiver.url) + path
    response = client.post("/api/jobs", json={"notify_url": url, **body})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["notify"] == {"url": url, "sent": [], "error": None}
    return created["id"], created["notify_secret"]


def test_each_job_s_events_arrive_in_order_signed_with_its_own_secret(
    server: LiveServer, alice: Account, receiver: Receiver
) -> None:
    with server.client(alice.token) as client:
        echo, echo_secret = submit(
            client, receiver, "/echo", app="echo", params={"text": "hi", "copies": 0}
        )
        fail, fail_secret = submit(
            client, receiver, "/fail", app="fail", params={"message": "no weights"}
        )
        # Sleep's queue runs one job at a time: the second waits while the first runs.
        running, running_secret = submit(
            client, receiver, "/running", app="sleep", params={"seconds": 20}
        )
        queued, queued_secret = submit(
            client, receiver, "/queued", app="sleep", params={"seconds": 20}
        )
        wait_for(client, running, {"running"})
        assert client.post(f"/api/jobs/{queued}/cancel").status_code == 200
        assert client.post(f"/api/jobs/{running}/cancel").status_code == 200
        # The worker API's start takes a notify_url too.
        started = client.post(
            "/apps/echo/start",
            json={
                "parameters": {"text": "wa", "copies": 0},
                "notify_url": receiver.url + "/worker-api",
            },
        ).json()
        for job in (echo, fail, running, queued, started["tracking_id"]):
            wait_for(client, job, FINAL)

        done = events(receiver, "/echo", echo_secret, 2)
        assert [e["event"] for e in done] == ["STARTED", "SUCCEEDED"]
        assert done[1]["job_id"] == echo and done[1]["output"] == {"text": "hi"}
        failed = events(receiver, "/fail", fail_secret, 2)
        assert [(e["event"], e.get("error")) for e in failed] == [
            ("STARTED", None),
            ("FAILED", "no weights"),
        ]
        stopped = events(receiver, "/running", running_secret, 2)
        assert [(e["event"], e.get("error")) for e in stopped] == [
            ("STARTED", None),
            ("CANCELLED", "cancelled while running"),
        ]
        never = events(receiver, "/queued", queued_secret, 1)
        assert never == [
            {
                "event": "CANCELLED",
                "job_id": queued,
                "app": "sleep",
                "label": "",
                "status": "cancelled",
                "error": "cancelled while queued; it never ran",
            }
        ]
        worker_api = events(receiver, "/worker-api", started["notify_secret"], 2)
        assert [e["event"] for e in worker_api] == ["STARTED", "SUCCEEDED"]
        # One job's secret does not sign another's callbacks.
        headers, body = receiver.bodies("/echo")[0]
        with pytest.raises(InvalidNoticeError):
            verify_notice(fail_secret, body, headers[wire.NOTICE_SIGNATURE_HEADER])
        # Sent once each, and the job says so; the secret is never shown again.
        time.sleep(0.5)
        assert len(receiver.bodies("/echo")) == 2 and len(receiver.bodies("/queued")) == 1
        shown = client.get(f"/api/jobs/{echo}").json()
        assert shown["notify"]["sent"] == ["STARTED", "SUCCEEDED"]
        assert "notify_secret" not in shown and echo_secret not in json.dumps(shown)


def test_a_callback_the_receiver_refused_is_sent_after_the_server_is_killed(
    server: LiveServer, alice: Account, receiver: Receiver
) -> None:
    receiver.status = 503
    try:
        with server.client(alice.token) as client:
            job, secret = submit(
                client, receiver, "/later", app="echo", params={"text": "x", "copies": 0}
            )
            wait_for(client, job, FINAL)
            until(lambda: client.get(f"/api/jobs/{job}").json()["notify"]["error"] or "")
            assert "HTTP 503" in client.get(f"/api/jobs/{job}").json()["notify"]["error"]
        server.kill()  # as in a crash: nothing is flushed or handed over
        receiver.status = 204
        tries = len(receiver.bodies("/later"))
        server.start()
        got = events(receiver, "/later", secret, tries + 2, timeout=30)
        assert [e["event"] for e in got[tries:]] == ["STARTED", "SUCCEEDED"]
        with server.client(alice.token) as client:
            sent = ["STARTED", "SUCCEEDED"]
            until(lambda: client.get(f"/api/jobs/{job}").json()["notify"]["sent"] == sent)
    finally:
        receiver.status = 204


def until(check: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.05)
