"""The Redis engine on a live server, with a Redis of the test's own and the catalog on
PostgreSQL, as a deployment with workers on many hosts runs it: the inspect and scan jobs a push
queues run at once (their messages leave only once the push has committed, and the sweeper, which
would otherwise find them, waits a minute here), and job callbacks go out over https to a
receiver whose certificate chains to a CA the operator configured, signed, in order.

On PostgreSQL a worker's claim skips rows it cannot see yet, so a message sent before the push
commits finds nothing; on SQLite the claim would wait for the push's write lock and hide that."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.certificates import self_signed
from tests.acceptance.live import LiveServer
from tests.acceptance.test_jobs import FINAL, job_env, wait_for
from tests.acceptance.test_jobs_findings import safetensors_bytes
from tests.acceptance.test_jobs_notify import Receiver, events, submit
from tests.job_apps import ALL
from tests.redis_server import RedisServer, redis_server
from tests.services import fresh_database, postgres_url

pytestmark = pytest.mark.acceptance

# Far beyond what any wait below allows: a job that needs the sweeper's resend fails the test.
REDISPATCH_SECONDS = 60
PROMPT_SECONDS = 20


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def tls_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Receiver, Path]]:
    """A callback receiver that speaks only TLS, with a certificate of its own CA, and that CA."""
    cert, key = self_signed(tmp_path_factory.mktemp("receiver-tls"))
    receiver = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield receiver, cert
    receiver.shutdown()
    receiver.server_close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    broker: RedisServer,
    tls_receiver: tuple[Receiver, Path],
    server_workers: int,
) -> Iterator[LiveServer]:
    env = job_env() | {
        "WEIGHTHOUSE_JOBS__APPS": json.dumps(["inspect", "scan", *ALL]),
        "WEIGHTHOUSE_JOBS__ENGINE": "redis",
        "WEIGHTHOUSE_JOBS__REDIS_URL": broker.url,
        "WEIGHTHOUSE_JOBS__REDISPATCH_SECONDS": str(REDISPATCH_SECONDS),
        "WEIGHTHOUSE_JOBS__NOTIFY_NETWORKS": json.dumps(["127.0.0.0/8"]),
        "WEIGHTHOUSE_JOBS__NOTIFY_CA_FILE": str(tls_receiver[1]),
    }
    data_dir = tmp_path_factory.mktemp("jobs-redis") / "data"
    with fresh_database(postgres_url()) as url:
        env["WEIGHTHOUSE_DATABASE__URL"] = url
        live = LiveServer(data_dir=data_dir, workers=server_workers, extra_env=env).start()
        yield live
        live.stop()


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


def test_the_jobs_a_push_queues_run_without_waiting_for_the_sweeper(
    server: LiveServer, alice: Account
) -> None:
    weights = safetensors_bytes({"w": ("F32", [16, 4], 4), "b": ("F32", [4], 4)})
    with server.client(alice.token) as client:
        repo = make_repo(client, alice.name, private=True)
        pushed = time.monotonic()
        upload(client, repo, "model.safetensors", weights)
        upload(client, repo, "pytorch_model.bin", b"\x80\x02}q\x00.")
        deadline = pushed + PROMPT_SECONDS
        while True:
            jobs = client.get("/api/jobs").json()
            pushed_jobs = sorted(j["app"] for j in jobs if j["label"].startswith("push "))
            if pushed_jobs == ["inspect", "inspect", "scan"] and all(
                j["status"] in FINAL for j in jobs
            ):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.1)
        assert {j["status"] for j in jobs} == {"succeeded"}, jobs
        findings = client.get(f"/api/models/{repo}").json()["findings"]
        by_path = {f["path"]: f for f in findings["files"]}
        assert by_path["model.safetensors"]["inspect"]["parameter_count"] == 16 * 4 + 4
        assert by_path["pytorch_model.bin"]["scan"]["verdict"] == "safe"


def test_callbacks_go_out_over_https_to_a_receiver_of_the_operator_s_ca(
    server: LiveServer, alice: Account, tls_receiver: tuple[Receiver, Path]
) -> None:
    """The receiver speaks only TLS, so a callback it took went over TLS."""
    receiver, _ = tls_receiver
    https = receiver.url.replace("http://", "https://")
    with server.client(alice.token) as client:
        done, done_secret = submit(
            client, receiver, "/done", app="echo", params={"text": "hi", "copies": 0}, base=https
        )
        failed, failed_secret = submit(
            client, receiver, "/failed", app="fail", params={"message": "no weights"}, base=https
        )
        for job in (done, failed):
            wait_for(client, job, FINAL, timeout=PROMPT_SECONDS)
        got = events(receiver, "/done", done_secret, 2, timeout=PROMPT_SECONDS)
        assert [e["event"] for e in got] == ["STARTED", "SUCCEEDED"]
        assert got[1]["job_id"] == done and got[1]["output"] == {"text": "hi"}
        got = events(receiver, "/failed", failed_secret, 2, timeout=PROMPT_SECONDS)
        assert [(e["event"], e.get("error")) for e in got] == [
            ("STARTED", None),
            ("FAILED", "no weights"),
        ]
        for job in (done, failed):
            assert client.get(f"/api/jobs/{job}").json()["notify"]["error"] is None
