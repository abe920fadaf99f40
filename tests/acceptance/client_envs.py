"""Client versions the acceptance tests run, each in a virtual environment of its own.

An environment is built once per machine from PyPI and kept under a cache directory keyed by
the Python version and the pinned packages (``WEIGHTHOUSE_TEST_CACHE``, default
``~/.cache/weighthouse-tests``), so a CI run installs a heavy client at most once and later
runs reuse it. Building is guarded by a file lock, so parallel test processes build it once.
When PyPI cannot be reached the test is skipped, or fails when services are required (CI).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import services_required

CACHE = "WEIGHTHOUSE_TEST_CACHE"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE) or Path.home() / ".cache" / "weighthouse-tests")


def client_python(*requirements: str, no_deps: tuple[str, ...] = ()) -> str:
    """The interpreter of a virtual environment holding exactly ``requirements`` (pins), plus
    ``no_deps`` installed without their dependencies."""
    pins = "\n".join([*requirements, *(f"--no-deps {p}" for p in no_deps)])
    key = hashlib.sha256(f"{sys.version_info[:2]}\n{pins}".encode()).hexdigest()[:16]
    root = cache_root() / f"venv-{key}"
    python = root / "bin" / "python"
    ready = root / ".ready"
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"venv-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            _build(root, requirements, no_deps)
            ready.write_text(pins)
    return str(python)


def _build(root: Path, requirements: tuple[str, ...], no_deps: tuple[str, ...]) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
    pip = [
        str(root / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    steps = [[*pip, *requirements]]
    if no_deps:
        steps.append([*pip, "--no-deps", *no_deps])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            message = f"cannot install {' '.join(step[7:])}: {done.stderr[-2000:]}"
            if services_required():
                pytest.fail(message)
            pytest.skip(message)
