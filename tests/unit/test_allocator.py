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


# Buffers just under the mmap threshold, freed from the top of the heap down; then how much
# free space the heap's top keeps (mallinfo2's keepcost) instead of returning it with brk.
KEPT = """
import ctypes
from weighthouse.allocator import bound_freed_memory
bound_freed_memory()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
buffers = [libc.malloc(200 * 1024) for _ in range(8)]
for buffer in reversed(buffers):
    libc.free(buffer)
print(libc.mallinfo2().keepcost)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the limits are glibc's")
def test_the_heap_keeps_freed_pieces_of_a_streamed_body_at_its_top() -> None:
    """Freed pieces under the mmap threshold stay in the heap for the next ones, rather than
    going back to the kernel and being faulted in again; an operator's threshold wins."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    kept = subprocess.run([sys.executable, "-c", KEPT], env=clean, capture_output=True, text=True)
    assert int(kept.stdout) >= 8 * 200 * 1024, kept.stderr
    own = {**clean, "MALLOC_TRIM_THRESHOLD_": str(128 * 1024)}
    trimmed = subprocess.run([sys.executable, "-c", KEPT], env=own, capture_output=True, text=True)
    assert int(trimmed.stdout) < 200 * 1024, trimmed.stderr  # not even one buffer


COLLECTOR = """
import gc
from weighthouse.allocator import YOUNG_COLLECTION_THRESHOLD, prepare_collector
before = gc.get_threshold()
kept = [[n] for n in range(1000)]  # alive before serving: frozen, never walked again
frozen = prepare_collector()
after = gc.get_threshold()
print(frozen >= 1000, gc.get_freeze_count() == frozen, after[0] == YOUNG_COLLECTION_THRESHOLD,
      after[1:] == before[1:], gc.isenabled())
"""


def test_the_collector_is_prepared_for_serving() -> None:
    done = subprocess.run([sys.executable, "-c", COLLECTOR], capture_output=True, text=True)
    assert done.stdout.split() == ["True"] * 5, done.stderr
