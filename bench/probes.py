"""Memory and CPU of a server and its descendants, read from ``/proc`` (Linux only)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{current}/task/{task}/children").read_text()
                    found.extend(int(child) for child in children.split())
    return found


def command_line(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def counted(pid: int) -> list[int]:
    """``pid`` and the processes below it whose memory is their own: a child still running
    ``pid``'s command is a fork (or vfork) before its exec, whose RSS is the parent's pages
    again, so a sample that caught the server starting a helper counted the server twice."""
    root = command_line(pid)
    return [pid] + [each for each in descendants(pid)[1:] if command_line(each) != root]


def rss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in descendants(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{each}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass
class Usage:
    peak_rss: int = 0  # the process tree's sum
    peak_process_rss: int = 0  # the largest single process
    cpu_s: float = 0.0


@contextlib.contextmanager
def sample_usage(pid: int | None, interval: float = 0.02) -> Iterator[Usage]:
    """Sample VmRSS of ``pid`` and its descendants (as :func:`counted`) every ``interval``
    seconds from a thread; the peaks and the CPU seconds spent are set on the yielded
    ``Usage`` when the block ends."""
    usage = Usage()
    if pid is None:
        yield usage
        return
    stop = threading.Event()

    def run() -> None:
        while True:
            sizes = [rss_bytes(each) for each in counted(pid)]
            usage.peak_rss = max(usage.peak_rss, sum(sizes))
            usage.peak_process_rss = max(usage.peak_process_rss, *sizes, 0)
            if stop.wait(interval):
                return

    cpu_before = cpu_seconds(pid)
    thread = threading.Thread(target=run, name="rss-sampler", daemon=True)
    thread.start()
    try:
        yield usage
    finally:
        stop.set()
        thread.join(timeout=5)
        usage.cpu_s = cpu_seconds(pid) - cpu_before


def idle_rss(pid: int) -> tuple[int, int]:
    """The process tree's RSS (as :func:`counted`): the sum and the largest single process."""
    sizes = [rss_bytes(each) for each in counted(pid)]
    return sum(sizes), max(sizes, default=0)


def wait_settled(pid: int, timeout: float = 60.0, quiet_s: float = 0.5) -> None:
    """Wait until the process tree has used almost no CPU for ``quiet_s``: a server whose
    workers start after the first one answers is then fully up."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = cpu_seconds(pid)
        if now - last > 0.02:  # more than 20 % of a core over the last 0.1 s
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet_s:
            return
        last = now
