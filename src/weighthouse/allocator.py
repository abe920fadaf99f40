"""How much freed memory the C allocator of a server process may keep, set once at its start.

Transfers pass 1 MiB buffers through many threads: grpc's pool, the HTTP worker threads, the
hashing helpers. glibc's malloc serves a buffer that large with ``mmap`` and returns it at
``free``, but each such ``free`` also raises its mmap threshold (up to 32 MiB), after which
1 MiB buffers come from per-thread arenas (up to eight per core) that keep the space freed
in them: the process then grows with the threads that ever moved a buffer, not with what is
in use. Measured with ``bench/grpc_vs_rest.py`` (512 MiB, one process): a gRPC upload peaked at
202 MB (plaintext) and 197 MB (TLS) with glibc's defaults, 225 and 281 MB with two arenas
alone, and 159 and 183 MB with two arenas and the threshold fixed at 256 KiB, which is what
:func:`bound_freed_memory` sets. A fixed threshold also stops its increase.

Fixing the mmap threshold also fixes glibc's trim threshold at its default, 128 KiB: freeing
a buffer at the top of the heap that leaves more than that free returns it to the kernel with
``brk``, and the next buffer takes it back, faulting its pages in again. Streamed bodies arrive
in pieces of up to 256 KiB, just under the mmap threshold, so a 1 GiB upload on one process
made some 1,800 ``brk`` calls and about 10 % more server CPU than before the threshold was
fixed (``strace -c``, and the CPU of three uploads each way). :func:`bound_freed_memory` lets
the heap keep :data:`TRIM_THRESHOLD_BYTES` at its top: 15 ``brk`` calls for the same upload,
and the CPU back where it was.

An operator's own ``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` wins. Other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import platform

log = logging.getLogger("weighthouse.allocator")

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
"""``mallopt`` parameters, from glibc's ``malloc.h``."""
ARENAS = 2
MMAP_THRESHOLD_BYTES = 256 * 1024
TRIM_THRESHOLD_BYTES = 4 * 1024 * 1024


def bound_freed_memory() -> bool:
    """Cap glibc's arenas and fix its mmap and trim thresholds for this process, unless the
    environment already does; True when glibc took all three (or the environment set
    them)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    took = True
    for variable, parameter, value in (
        ("MALLOC_ARENA_MAX", M_ARENA_MAX, ARENAS),
        ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        ("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
    ):
        if variable in os.environ:
            continue
        if libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) != 1:
            log.warning("glibc refused mallopt(%d, %d)", parameter, value)
            took = False
    return took


YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations (less deallocations) of container objects that start a collection of the
youngest generation; CPython's default is 700."""


def prepare_collector() -> int:
    """Set the cyclic garbage collector up for serving, once the application is built and
    before it serves; returns how many objects were frozen.

    Every object alive now leaves the collector's generations. Start-up leaves some 100,000
    long-lived objects (modules, classes, routes, schemas) that every full collection would
    walk again although none of them ever becomes garbage; requests allocate enough to run one
    every few hundred requests. In a profile of a one-process server under 4 KiB uploads, the
    collector was about 5 % of the CPU time, most of it in those walks. Frozen objects are never
    collected, so this is for the objects made at start-up only, as CPython's documentation of
    ``gc.freeze`` recommends.

    The youngest generation is then collected after :data:`YOUNG_COLLECTION_THRESHOLD`
    allocations rather than 700: a small GET allocates a few hundred containers, nearly all
    freed by reference counting before any collection sees them, so the default collected
    every second or third request for nothing (with the collector off, 1.7 % fewer
    instructions a GET; with this threshold, 1.8 %, counted by callgrind). The older
    generations keep their thresholds, counted in collections of the younger ones.
    """
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
    return gc.get_freeze_count()
