"""Job callbacks over HTTP: one signed POST per event, to an address the outbound rules allow.

The host is resolved and checked right before connecting, and the connection goes to the
address that was checked (the request still names the host, and TLS verifies the certificate
against it), so a name that resolves to another address between the check and the connection
cannot steer the request. Redirects are never followed: a 3xx is a failed delivery. Proxies
from the environment are ignored, since a proxy would connect wherever it liked.

An https receiver's certificate must chain to a public CA (certifi's bundle) or to one of the
operator's own (``jobs.notify_ca_file``, for receivers behind an internal CA), and name the
URL's host; the environment's ``SSL_CERT_FILE`` is ignored with the proxies.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from pathlib import Path

import certifi

from weighthouse import wire
from weighthouse.domain.errors import InvalidNotifyUrlError
from weighthouse.domain.job_notices import NoticeFailedError
from weighthouse.security.outbound import OutboundRules

USER_AGENT = "weighthouse-callbacks/1"


class HttpNoticeSender:
    def __init__(
        self, rules: OutboundRules, *, timeout_seconds: float = 10.0, ca_file: Path | None = None
    ) -> None:
        """``ca_file``: PEM certificates of CAs trusted besides the public ones. Raises
        ``OSError`` or ``ssl.SSLError`` if it cannot be read, so a bad file stops the start
        rather than every https callback."""
        self._rules = rules
        self._timeout = timeout_seconds
        # What httpx's default context trusts (certifi's CAs), without what the environment
        # would add; made here, not by httpx, which is imported only when a callback is sent.
        self._tls = ssl.create_default_context(cafile=certifi.where())
        if ca_file is not None:
            self._tls.load_verify_locations(cafile=ca_file)

    def send(self, url: str, *, event: str, body: bytes, secret: str) -> None:
        # Imported on the first callback: httpx (with what it pulls in) would otherwise add
        # some 10 MB to every server process, most of which never sends one.
        import httpx

        try:
            parts, port, addresses = self._rules.addresses(url)
        except InvalidNotifyUrlError as exc:
            raise NoticeFailedError(f"refused: {exc.message}") from None
        host = parts.hostname or ""
        address = addresses[0]
        literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
        pinned = parts._replace(netloc=f"{literal}:{port}").geturl()
        default_port = port == (443 if parts.scheme == "https" else 80)
        host_header = f"[{host}]" if ":" in host else host
        headers = {
            "Host": host_header if default_port else f"{host_header}:{port}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            wire.NOTICE_EVENT_HEADER: event,
            wire.NOTICE_SIGNATURE_HEADER: wire.notice_signature(secret, int(time.time()), body),
        }
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        try:
            with httpx.Client(
                timeout=self._timeout, follow_redirects=False, trust_env=False, verify=self._tls
            ) as client:
                response = client.post(pinned, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise NoticeFailedError(f"{type(exc).__name__}: {exc}"[:300]) from None
        if response.is_redirect:
            raise NoticeFailedError(f"HTTP {response.status_code}: redirects are not followed")
        if not response.is_success:
            raise NoticeFailedError(f"HTTP {response.status_code}")
