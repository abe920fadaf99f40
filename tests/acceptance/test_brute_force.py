"""Password guessing is cut off at the configured limit, before any hashing, while everyone else
is served throughout; the cut-off says nothing about which accounts exist, and it ends with the
window. How fast everyone else is served during a flood is measured by ``bench/attack.py``.

Each test runs a live server of its own, so their sign-in counts for 127.0.0.1 are their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_repo, make_user, unique
from tests.acceptance.live import LiveServer
from weighthouse.config import AuthSettings

pytestmark = pytest.mark.acceptance

PASSWORD = "the one right password"
ATTEMPTS = 200
GUESSES_PER_PROBE = 10  # the flood waits for a bystander's probe after this many guesses


def add_user(server: LiveServer, name: str, password: str = PASSWORD) -> None:
    with server.client(server.admin_token) as admin:
        response = admin.post("/api/users", json={"name": name, "password": password})
        assert response.status_code == 201, response.text


def sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/api/signin", json={"name": name, "password": password})


def audit(server: LiveServer, action: str, target: str) -> list[dict[str, object]]:
    with server.client(server.admin_token) as admin:
        response = admin.get("/api/audit", params={"action": action, "limit": 1000})
        assert response.status_code == 200, response.text
        return [e for e in response.json() if e["target"] == target]


class Monitor(threading.Thread):
    """Requests ``/healthz`` and an authenticated GET, over and over, until stopped."""

    def __init__(self, server: LiveServer, token: str, path: str) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.path = server, token, path
        self.statuses: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self._probed = threading.Condition()

    def run(self) -> None:
        with self.server.client() as anonymous, self.server.client(self.token) as user:
            while not self.stop.is_set():
                for what, client, path in (
                    ("healthz", anonymous, "/healthz"),
                    ("authenticated GET", user, self.path),
                ):
                    status = client.get(path).status_code
                    with self._probed:
                        self.statuses.append((what, status))
                        self._probed.notify_all()
                self.stop.wait(0.005)

    def wait_for(self, probes: int) -> None:
        """Return once ``probes`` probes have been answered (60 s at most)."""
        with self._probed:
            assert self._probed.wait_for(lambda: len(self.statuses) >= probes, timeout=60), (
                f"{len(self.statuses)} probes answered, waiting for {probes}"
            )


@pytest.fixture
def default_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    yield server
    server.stop()


def test_two_hundred_wrong_passwords_are_cut_off_at_the_limit(default_server: LiveServer) -> None:
    server = default_server
    defaults = AuthSettings()
    limit = min(defaults.signin_per_client, defaults.signin_per_account)
    victim = unique("victim")
    add_user(server, victim)
    bystander = make_user(server)
    with server.client(bystander.token) as c:
        repo = make_repo(c, bystander.name, private=True)

    monitor = Monitor(server, bystander.token, f"/api/models/{repo}")
    monitor.start()
    replies: list[tuple[int, str | None, dict[str, object]]] = []
    try:
        with server.client() as attacker:
            for i in range(ATTEMPTS):
                # The bystander's probes interleave with the guesses, before and after the cut-off.
                monitor.wait_for(i // GUESSES_PER_PROBE)
                response = sign_in(attacker, victim, f"guess number {i}")
                replies.append(
                    (
                        response.status_code,
                        response.headers.get("retry-after"),
                        response.json()["error"],
                    )
                )
        during_flood = len(monitor.statuses)
    finally:
        monitor.stop.set()
        monitor.join(timeout=30)

    statuses = [status for status, *_ in replies]
    assert statuses == [401] * limit + [429] * (ATTEMPTS - limit), statuses
    for status, retry_after, error in replies:
        if status == 401:
            assert error["code"] == "unauthenticated"
        else:
            assert error["code"] == "rate_limited"
            assert retry_after is not None and retry_after.isdigit(), retry_after
            assert 1 <= int(retry_after) <= defaults.signin_window_seconds

    # Meanwhile everyone else was answered: never throttled, refused or failed.
    assert during_flood >= (ATTEMPTS - 1) // GUESSES_PER_PROBE
    assert {kind for kind, _ in monitor.statuses} == {"healthz", "authenticated GET"}
    assert {status for _, status in monitor.statuses} == {200}, monitor.statuses

    # Only the attempts under the limit were verified: one audited failure each. The others were
    # refused before the password was looked at.
    verified = audit(server, "user.signin", victim)
    limited = audit(server, "user.signin.limited", victim)
    assert len(verified) == limit and not any(e["success"] for e in verified), verified
    assert len(limited) == ATTEMPTS - limit

    # Still refused, right password or unknown user alike, and they read the same.
    with server.client() as attacker:
        right = sign_in(attacker, victim, PASSWORD)
        nobody = sign_in(attacker, unique("nobody"), "whatever it is")
    assert right.status_code == nobody.status_code == 429
    assert right.json()["error"]["code"] == nobody.json()["error"]["code"] == "rate_limited"
    assert right.json()["error"]["message"] == nobody.json()["error"]["message"]
    assert len(audit(server, "user.signin", victim)) == limit  # the right one was not verified


@pytest.fixture
def short_window_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    server = LiveServer(
        data_dir=tmp_path / "data",
        extra_env={
            "WEIGHTHOUSE_AUTH__SIGNIN_WINDOW_SECONDS": "2",
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": "3",
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_ACCOUNT": "3",
        },
        workers=server_workers,
    ).start()
    yield server
    server.stop()


def _comparable(response: httpx.Response) -> tuple[int, object, str | None]:
    """Status, body and challenge; the retry delay of a 429 is left out (it counts down)."""
    body = response.json()
    body["error"]["detail"].pop("retry_after", None)
    return response.status_code, body, response.headers.get("www-authenticate")


def test_unknown_users_read_the_same_and_the_window_ends(short_window_server: LiveServer) -> None:
    server = short_window_server
    victim = unique("victim")
    add_user(server, victim)
    with server.client() as client:
        unknown = sign_in(client, unique("nobody"), "a wrong password")
        known = sign_in(client, victim, "a wrong password")
        assert unknown.status_code == known.status_code == 401
        assert _comparable(unknown) == _comparable(known)
        assert sign_in(client, victim, "another wrong one").status_code == 401

        # Over the limit: refused, even with the right password, and alike for unknown users.
        right = sign_in(client, victim, PASSWORD)
        unknown = sign_in(client, unique("nobody"), "a wrong password")
        assert right.status_code == unknown.status_code == 429, right.text
        assert _comparable(right) == _comparable(unknown)
        wait = int(right.headers["retry-after"])
        assert 1 <= wait <= 2

        time.sleep(wait + 0.3)
        response = sign_in(client, victim, PASSWORD)
        assert response.status_code == 200, response.text
        assert response.json()["user"]["name"] == victim
        with server.client(response.json()["token"]) as user:
            assert user.get("/api/whoami").json()["user"]["name"] == victim


@pytest.fixture
def forwarded_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    """Client addresses taken from X-Forwarded-For, so one test can speak from many."""
    server = LiveServer(
        data_dir=tmp_path / "data",
        extra_env={"WEIGHTHOUSE_AUTH__TRUST_FORWARDED_FOR": "true"},
        workers=server_workers,
    ).start()
    yield server
    server.stop()


def test_a_stranger_guessing_from_one_address_cannot_lock_the_owner_out(
    forwarded_server: LiveServer,
) -> None:
    server = forwarded_server
    defaults = AuthSettings()
    assert defaults.signin_per_client < defaults.signin_per_account
    victim = unique("victim")
    add_user(server, victim)
    stranger = {"X-Forwarded-For": "198.51.100.7"}
    with server.client() as client:
        statuses = [
            client.post(
                "/api/signin", json={"name": victim, "password": f"guess {i}"}, headers=stranger
            ).status_code
            for i in range(3 * defaults.signin_per_client)
        ]
        assert statuses == [401] * defaults.signin_per_client + [429] * (
            2 * defaults.signin_per_client
        )
        owner = client.post(
            "/api/signin",
            json={"name": victim, "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.20"},
        )
        assert owner.status_code == 200, owner.text


def guesses_with_written_addresses(
    server: LiveServer, victim: str, forwarded_for: Callable[[int], str]
) -> list[int]:
    """Twice the per-client limit of wrong passwords for ``victim``, the ``i``-th sent with
    ``X-Forwarded-For: forwarded_for(i)``; their statuses."""
    limit = AuthSettings().signin_per_client
    add_user(server, victim)
    with server.client() as client:
        return [
            client.post(
                "/api/signin",
                json={"name": victim, "password": f"guess {i}"},
                headers={"X-Forwarded-For": forwarded_for(i)},
            ).status_code
            for i in range(2 * limit)
        ]


def test_addresses_a_guesser_writes_before_the_proxys_entry_do_not_count(
    forwarded_server: LiveServer,
) -> None:
    # A proxy appends the address it saw to the X-Forwarded-For the client sent: a guesser
    # who writes a new address of his own in front each time is still one client.
    limit = AuthSettings().signin_per_client
    statuses = guesses_with_written_addresses(
        forwarded_server, unique("victim"), lambda i: f"10.9.{i}.1, 198.51.100.8"
    )
    assert statuses == [401] * limit + [429] * limit


def test_without_a_trusted_proxy_a_forwarded_for_header_changes_no_address(
    default_server: LiveServer,
) -> None:
    # The tests speak from 127.0.0.1, where a reverse proxy would stand: the HTTP server must
    # not take a client's X-Forwarded-For as its address unless the operator trusts the header
    # (auth.trust_forwarded_for), or a guesser writing a new address each time is a new client.
    limit = AuthSettings().signin_per_client
    victim = unique("victim")
    statuses = guesses_with_written_addresses(default_server, victim, lambda i: f"198.51.{i}.9")
    assert statuses == [401] * limit + [429] * limit
    # The failures are logged under the address the guesser spoke from, not the ones written.
    failures = audit(default_server, "user.signin", victim)
    assert len(failures) == limit and {e["client"] for e in failures} == {"127.0.0.1"}
