"""Where job callbacks may go: public http(s) addresses only, unless an operator allows a
network or sets a host allow-list; names are judged by every address they resolve to."""

from __future__ import annotations

import pytest

from weighthouse.domain.errors import InvalidNotifyUrlError
from weighthouse.security.outbound import OutboundRules

pytestmark = pytest.mark.unit


def answers(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://93.184.216.34/_SET",
        "ftp://93.184.216.34/",
        "http:///nohost",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://127.0.0.1/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
        "http://93.184.216.34:99999/",
        "http://a b.example.com/",
        "http://x:y@93.184.216.34/",
    ],
)
def test_refused_by_default(url: str) -> None:
    with pytest.raises(InvalidNotifyUrlError):
        OutboundRules(resolve=answers("93.184.216.34")).check(url)


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    with pytest.raises(InvalidNotifyUrlError, match=r"127\.0\.0\.1"):
        OutboundRules(resolve=answers("93.184.216.34", "127.0.0.1")).check("https://x.example/")
    with pytest.raises(InvalidNotifyUrlError, match="does not resolve"):
        OutboundRules(resolve=answers()).check("https://x.example/")
    OutboundRules(resolve=answers("93.184.216.34", "2606:2800:220:1::")).check("https://x.example/")


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433", "0x7f000001"])
def test_names_and_odd_spellings_the_system_resolves_to_loopback_are_refused(host: str) -> None:
    with pytest.raises(InvalidNotifyUrlError, match="loopback"):
        OutboundRules().check(f"http://{host}:8080/hook")


def test_an_operator_may_allow_a_network_or_only_some_hosts() -> None:
    internal = OutboundRules(networks=["127.0.0.0/8", "10.0.0.0/8"])
    internal.check("http://127.0.0.1:9000/hook")
    internal.check("http://[::ffff:10.1.1.1]/hook")
    with pytest.raises(InvalidNotifyUrlError):
        internal.check("http://169.254.169.254/")
    only = OutboundRules(hosts=["hooks.example.com"], resolve=answers("93.184.216.34"))
    only.check("https://HOOKS.example.com./x")
    with pytest.raises(InvalidNotifyUrlError, match="allow-list"):
        only.check("https://other.example.com/x")
