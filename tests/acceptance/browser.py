"""Headless Chromium for tests that look at pages, driven by Playwright, never downloaded.

Playwright is pointed at Debian's ``chromium`` (:data:`CHROMIUM`), not at a browser build of
its own; :func:`~tests.acceptance.debian.debian_binary` installs it when missing, and skips (or
fails in CI) where it cannot.
"""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.debian import debian_binary

CHROMIUM = Path("/usr/bin/chromium")

# Nothing but the loopback server resolves: the page has no network beyond it.
OFFLINE_ARGS = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--no-sandbox")


def chromium_path() -> Path:
    """The Chromium binary, installing it if needed; skips (fails in CI) when it cannot."""
    return debian_binary(CHROMIUM, "chromium")
