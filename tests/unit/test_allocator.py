"""The allocator's limits are set in a fresh process, and an operator's own variables win."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = "from weighthouse.allocator import bound_freed_memory; print(bound_freed_memory())"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the limits are glibc's")
def test_glibc_takes_the_limits_unless_the_environment_sets_them() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    took = subprocess.run([sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True)
    assert took.stdout.strip() == "True", took.stderr
    own = {**clean, "MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "1048576"}
    kept = subprocess.run([sys.executable, "-c", PROBE], env=own, capture_output=True, text=True)
    assert kept.stdout.strip() == "True", kept.stderr
