"""``python -m tests.acceptance.tmpfs_serve serve …``: the real server on small RAM disks.

Disk-full tests need a file system that really fills up, without touching the machine's own
disks. This entry point (in the test tree, never installed) moves itself into a mount namespace
of its own (``unshare(CLONE_NEWNS)``, which needs root), makes every mount in it private, mounts
a tmpfs on each folder named in ``WEIGHTHOUSE_TEST_TMPFS`` (``/path=SIZE,/other=SIZE``, sizes as
``mount`` reads them) and then runs the ordinary command line. Nobody outside sees the mounts;
the test reaches the files through ``/proc/<server pid>/root``. They vanish with the process.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from pathlib import Path

TMPFS = "WEIGHTHOUSE_TEST_TMPFS"
_CLONE_NEWNS = 0x00020000


def isolate(mounts: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    for item in mounts.split(","):
        path, _, size = item.partition("=")
        Path(path).mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)


if __name__ == "__main__":
    isolate(os.environ[TMPFS])

    from weighthouse.cli.main import main

    main()
