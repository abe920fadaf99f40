"""Headless Chromium for tests that look at pages, driven by Playwright, never downloaded.

Playwright is pointed at Debian's ``chromium`` (:data:`CHROMIUM`), not at a browser build of
its own. When the binary is missing and the tests run as root, :func:`chromium_path` installs
it with ``apt-get`` once; where that is impossible the test is skipped with the reason, or
fails when ``CI`` or ``WEIGHTHOUSE_TEST_REQUIRE_SERVICES`` is set, so CI never passes on a skip.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import REQUIRE_SERVICES

CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT_S = 900
# How long apt-get waits for dpkg's lock when another apt-get on the machine holds it; kept
# under the test's own timeout, so a stuck lock is reported rather than the test killed.
APT_LOCK_WAIT_S = 240

# Nothing but the loopback server resolves: the page has no network beyond it.
OFFLINE_ARGS = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--no-sandbox")


@functools.cache
def _install() -> str:
    """Install Debian's chromium; the empty string on success, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "installing it needs root (apt-get install -y chromium)"
    apt = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}", "-q"]
    for step in ([*apt, "update"], [*apt, "install", "-y", "chromium"]):
        done = subprocess.run(step, capture_output=True, text=True, timeout=APT_TIMEOUT_S)
        if done.returncode != 0:
            return f"{' '.join(step)} failed: {done.stderr.strip()[-300:]}"
    return ""


def chromium_path() -> Path:
    """The Chromium binary, installing it if needed; skips (fails in CI) when it cannot."""
    problem = "" if CHROMIUM.exists() else _install()
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"Debian's chromium is not at {CHROMIUM}: {problem or 'the install left no binary'}"
    if os.environ.get("CI") or os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(reason)
    pytest.skip(reason)
