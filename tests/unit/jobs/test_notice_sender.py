"""One callback over HTTP to a real receiver on loopback: signed as the client checks it, no
redirect followed, an address that changed to a forbidden one since submission refused
before any connection, and https only to a certificate that chains to a trusted CA and names
the URL's host."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.acceptance.certificates import self_signed

from weighthouse import wire
from weighthouse.client.notices import InvalidNoticeError, verify_notice
from weighthouse.domain.job_notices import NoticeFailedError
from weighthouse.jobs.notice_sender import HttpNoticeSender
from weighthouse.security.outbound import OutboundRules

pytestmark = pytest.mark.unit

SECRET = "whsec_" + "ab" * 32


class Receiver(http.server.ThreadingHTTPServer):
    status = 204
    location = ""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.got: list[tuple[str, dict[str, str], bytes]] = []


class Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_callback_is_signed_as_the_client_verifies_it(receiver: Receiver) -> None:
    sender = HttpNoticeSender(OutboundRules(networks=["127.0.0.0/8"]))
    port = receiver.server_address[1]
    body = b'{"event":"STARTED","job_id":"x"}'
    sender.send(f"http://127.0.0.1:{port}/hook?a=1", event="STARTED", body=body, secret=SECRET)
    [(path, headers, got)] = receiver.got
    assert (path, got) == ("/hook?a=1", body)
    assert headers[wire.NOTICE_EVENT_HEADER] == "STARTED"
    signature = headers[wire.NOTICE_SIGNATURE_HEADER]
    assert verify_notice(SECRET, got, signature) == {"event": "STARTED", "job_id": "x"}
    with pytest.raises(InvalidNoticeError, match="does not match"):
        verify_notice("whsec_other", got, signature)
    with pytest.raises(InvalidNoticeError, match="does not match"):
        verify_notice(SECRET, got + b" ", signature)
    with pytest.raises(InvalidNoticeError, match="too old"):
        verify_notice(SECRET, got, signature, now=1e10)


def test_a_redirect_is_not_followed_and_an_error_status_fails(receiver: Receiver) -> None:
    sender = HttpNoticeSender(OutboundRules(networks=["127.0.0.0/8"]))
    port = receiver.server_address[1]
    receiver.status, receiver.location = 302, f"http://127.0.0.1:{port}/elsewhere"
    with pytest.raises(NoticeFailedError, match="redirects are not followed"):
        sender.send(f"http://127.0.0.1:{port}/hook", event="STARTED", body=b"{}", secret=SECRET)
    receiver.status, receiver.location = 500, ""
    with pytest.raises(NoticeFailedError, match="HTTP 500"):
        sender.send(f"http://127.0.0.1:{port}/hook", event="STARTED", body=b"{}", secret=SECRET)
    assert [path for path, _, _ in receiver.got] == ["/hook", "/hook"]


def test_a_name_that_now_resolves_to_loopback_is_refused_before_connecting(
    receiver: Receiver,
) -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    rules = OutboundRules(resolve=lambda host, port: next(answers))
    port = receiver.server_address[1]
    url = f"http://rebind.example:{port}/hook"
    rules.check(url)  # at submission: a public address
    with pytest.raises(NoticeFailedError, match="refused"):
        HttpNoticeSender(rules).send(url, event="STARTED", body=b"{}", secret=SECRET)
    assert receiver.got == []


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    receiver: Receiver,
) -> None:
    port = receiver.server_address[1]
    rules = OutboundRules(networks=["127.0.0.0/8"], resolve=lambda host, port: ["127.0.0.1"])
    HttpNoticeSender(rules).send(
        f"http://hooks.example:{port}/h", event="FAILED", body=b"{}", secret=SECRET
    )
    [(_, headers, _)] = receiver.got
    assert headers["Host"] == f"hooks.example:{port}"


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, Path]]:
    """A receiver that speaks only TLS, with a certificate for ``localhost`` and 127.0.0.1
    signed by its own CA, and that CA's file."""
    cert, key = self_signed(tmp_path)
    server = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, cert
    server.shutdown()
    server.server_close()


def loopback_rules() -> OutboundRules:
    # Every name resolves to 127.0.0.1 here, so "localhost" is not tried on ::1 first.
    return OutboundRules(networks=["127.0.0.0/8"], resolve=lambda host, port: ["127.0.0.1"])


def test_an_https_callback_reaches_a_receiver_whose_ca_the_operator_trusts(
    tls_receiver: tuple[Receiver, Path],
) -> None:
    receiver, ca = tls_receiver
    port = receiver.server_address[1]
    body = b'{"event":"SUCCEEDED"}'
    sender = HttpNoticeSender(loopback_rules(), ca_file=ca)
    sender.send(f"https://localhost:{port}/hook", event="SUCCEEDED", body=body, secret=SECRET)
    [(path, headers, got)] = receiver.got
    assert (path, got, headers["Host"]) == ("/hook", body, f"localhost:{port}")
    assert verify_notice(SECRET, got, headers[wire.NOTICE_SIGNATURE_HEADER])["event"] == "SUCCEEDED"


def test_an_https_receiver_with_an_untrusted_certificate_gets_nothing(
    tls_receiver: tuple[Receiver, Path], tmp_path: Path
) -> None:
    receiver, _ = tls_receiver
    port = receiver.server_address[1]
    (tmp_path / "other").mkdir()
    other_ca, _ = self_signed(tmp_path / "other")
    for sender in (
        HttpNoticeSender(loopback_rules()),  # public CAs only
        HttpNoticeSender(loopback_rules(), ca_file=other_ca),  # an unrelated private CA
    ):
        with pytest.raises(NoticeFailedError, match="certificate verify failed"):
            sender.send(f"https://localhost:{port}/h", event="STARTED", body=b"{}", secret=SECRET)
    assert receiver.got == []


def test_the_certificate_must_name_the_url_s_host_not_the_address_connected_to(
    tls_receiver: tuple[Receiver, Path],
) -> None:
    """The connection goes to the checked address, 127.0.0.1, which the certificate also
    names; the URL's host, which it does not name, is what is verified."""
    receiver, ca = tls_receiver
    port = receiver.server_address[1]
    sender = HttpNoticeSender(loopback_rules(), ca_file=ca)
    with pytest.raises(NoticeFailedError, match="Hostname mismatch"):
        sender.send(f"https://hooks.example:{port}/h", event="STARTED", body=b"{}", secret=SECRET)
    assert receiver.got == []
