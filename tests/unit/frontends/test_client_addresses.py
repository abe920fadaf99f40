"""The caller's address: the peer's, or the last X-Forwarded-For entry when a proxy is
trusted, never an entry the client wrote before the proxy's."""

from __future__ import annotations

import pytest

from weighthouse.frontends.client_addresses import MAX_ADDRESS, client_address

pytestmark = pytest.mark.unit

PEER = "127.0.0.1"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        # The client sent the first entries; the proxy appended the address it saw.
        ("10.0.0.1, 198.51.100.7", "198.51.100.7"),
        ("10.0.0.1,10.0.0.2,  198.51.100.7 ", "198.51.100.7"),
        ("2001:db8::1", "2001:db8::1"),
        (None, PEER),
        ("", PEER),
        ("198.51.100.7, ", PEER),  # no entry of the proxy's: nothing in it is trusted
        ("x" * 500, "x" * MAX_ADDRESS),
    ],
)
def test_a_trusted_proxy_gives_the_last_entry(header: str | None, expected: str) -> None:
    assert client_address(PEER, header, trust_forwarded_for=True) == expected


def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    assert client_address(PEER, "198.51.100.7", trust_forwarded_for=False) == PEER
    assert client_address(None, "198.51.100.7", trust_forwarded_for=False) is None
