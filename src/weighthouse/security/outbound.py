"""Where the server may send requests of its own (job callbacks), so a job cannot be used to
reach internal services.

A URL must be http or https, name a host (of the allow-list, when one is set) and every address
that host resolves to must be public: loopback, link-local (the cloud metadata service at
169.254.169.254), private, shared, multicast, reserved and unspecified addresses are refused,
also in their IPv4-mapped IPv6 spelling, unless an operator allows their network. The check
runs when a job is submitted and again, on the addresses the connection will use, before every
delivery: a name that resolved to a public address at submission and to 127.0.0.1 later (DNS
rebinding) is refused then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import SplitResult, urlsplit

from weighthouse.domain.errors import InvalidNotifyUrlError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], list[str]]

SCHEMES = {"http": 80, "https": 443}


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the system resolver answers now."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class OutboundRules:
    def __init__(
        self,
        *,
        hosts: Sequence[str] | None = None,
        networks: Sequence[str] = (),
        resolve: Resolve = resolve_host,
    ) -> None:
        """``hosts``: when set, the only host names (or literal addresses) allowed.
        ``networks``: CIDR networks allowed though not public (an internal receiver)."""
        self._hosts = None if hosts is None else {h.lower().rstrip(".") for h in hosts}
        self._networks: list[Network] = [ipaddress.ip_network(n, strict=False) for n in networks]
        self._resolve = resolve

    def check(self, url: str) -> None:
        self.addresses(url)

    def addresses(self, url: str) -> tuple[SplitResult, int, list[Address]]:
        """The parsed URL, its port and the allowed addresses its host resolves to now;
        raises ``InvalidNotifyUrlError`` if any is refused (or none is found)."""
        parts = _parse(url)
        host = parts.hostname or ""
        port = parts.port or SCHEMES[parts.scheme]
        if self._hosts is not None and host.rstrip(".") not in self._hosts:
            raise InvalidNotifyUrlError(
                f"the host {host[:255]!r} is not on the allow-list for callbacks"
            )
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
            except (OSError, UnicodeError, ValueError) as exc:
                raise InvalidNotifyUrlError(
                    f"the host {host[:255]!r} does not resolve: {exc}"
                ) from None
        if not found:
            raise InvalidNotifyUrlError(f"the host {host[:255]!r} does not resolve")
        for address in found:
            self._require_allowed(host, address)
        return parts, port, found

    def _require_allowed(self, host: str, address: Address) -> None:
        plain: Address = address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            plain = address.ipv4_mapped
        if any(plain in network for network in self._networks):
            return
        if not plain.is_global or plain.is_multicast:
            raise InvalidNotifyUrlError(
                f"callbacks may not go to {host[:255]!r}: it is (or resolves to) {plain}, a"
                " loopback, link-local, private or otherwise non-public address"
            )


def _parse(url: str) -> SplitResult:
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise InvalidNotifyUrlError("a notify_url may not hold spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise InvalidNotifyUrlError(f"not a URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise InvalidNotifyUrlError("a notify_url must be an http or https URL")
    if not parts.hostname:
        raise InvalidNotifyUrlError("a notify_url must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidNotifyUrlError("a notify_url may not carry credentials")
    return parts
