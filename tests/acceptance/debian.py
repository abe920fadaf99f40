"""Debian packages the acceptance tests drive (Chromium, rclone), never downloaded otherwise.

When a package's binary is missing and the tests run as root, :func:`debian_binary` installs
it with ``apt-get`` once per process; where that is impossible the test is skipped with the
reason, or fails when ``CI`` or ``WEIGHTHOUSE_TEST_REQUIRE_SERVICES`` is set, so CI never
passes on a skip.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.services import REQUIRE_SERVICES

RCLONE = Path("/usr/bin/rclone")

APT_TIMEOUT_S = 900
# How long apt-get waits for dpkg's lock when another apt-get on the machine holds it (parallel
# test processes may install at once); kept under the test's own timeout, so a stuck lock is
# reported rather than the test killed.
APT_LOCK_WAIT_S = 240
# Our own installs (the preparation step installs two packages at once, and test processes may
# each install one) take turns on this file first: apt-get waits for dpkg's lock, but an
# ``apt-get update`` finding the package lists' lock held fails at once.
APT_TURNS = Path(tempfile.gettempdir()) / "weighthouse-tests-apt.lock"


@functools.cache
def _install(package: str) -> str:
    """Install ``package``; the empty string on success, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return f"installing it needs root (apt-get install -y {package})"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}", "-q"]
    with APT_TURNS.open("a") as turns:
        fcntl.flock(turns, fcntl.LOCK_EX)  # released when the file closes
        for step in ([*apt, "update"], [*apt, "install", "-y", package]):
            done = subprocess.run(
                step, capture_output=True, text=True, timeout=APT_TIMEOUT_S, env=env
            )
            if done.returncode != 0:
                return f"{' '.join(step)} failed: {done.stderr.strip()[-300:]}"
    return ""


def install_missing(path: Path, package: str) -> str:
    """Install ``package`` when ``path`` is missing; the empty string when ``path`` is there
    after, else why not."""
    if path.exists():
        return ""
    problem = _install(package)
    return "" if path.exists() else f"{package}: {problem or 'the install left no binary'}"


def debian_binary(path: Path, package: str) -> Path:
    """``path``, installing Debian's ``package`` if it is missing; skips (fails in CI) when
    it cannot."""
    problem = "" if path.exists() else _install(package)
    if path.exists():
        return path
    reason = f"Debian's {package} is not at {path}: {problem or 'the install left no binary'}"
    if os.environ.get("CI") or os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(reason)
    pytest.skip(reason)
