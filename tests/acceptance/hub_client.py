"""Running the real ``huggingface_hub`` client against a live server, in a process of its own.

The client reads ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_DISABLE_XET`` once, at import, so
each script runs in a fresh interpreter with the environment a user would set, and a cache
(``HF_HOME``) of the test's own. A script prints one JSON value as its last line of output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.acceptance.live import LiveServer

PRELUDE = """
import json, hashlib, os, sys
from pathlib import Path
import huggingface_hub as hh
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub import errors as hf_errors
api = HfApi()

def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception as exc:
        return type(exc).__name__
    return None
"""


def hub_env(
    server: LiveServer | str, home: Path, token: str | None, **extra: str
) -> dict[str, str]:
    """The environment of a client of ``server`` (or of a server at that base URL)."""
    base = server if isinstance(server, str) else server.url
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(
        {
            "HF_ENDPOINT": f"{base}/hf",
            "HF_HOME": str(home),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            # Large files go over git-lfs unless a test asks for Xet (test_hf_xet.py).
            "HF_HUB_DISABLE_XET": "1",
        }
    )
    env.update(extra)
    if token is not None:
        env["HF_TOKEN"] = token
    return env


def run_hub(
    server: LiveServer | str,
    script: str,
    *,
    home: Path,
    token: str | None,
    python: str = sys.executable,
    **extra_env: str,
) -> Any:
    """Run ``script`` (after :data:`PRELUDE`) with the client pointed at ``server``; return the
    JSON its last output line holds. Relative paths in the script are inside ``home``. Fails
    the test, with the script's output, on any error."""
    code = PRELUDE + textwrap.dedent(script)
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [python, "-c", code],
        env=hub_env(server, home, token, **extra_env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=home,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_hf(
    server: LiveServer,
    home: Path,
    token: str,
    *args: str,
    python: str = sys.executable,
    **extra_env: str,
) -> str:
    """Run the ``hf`` command line installed beside ``python`` against ``server``; its output.
    Fails the test, with the output, unless it exits 0."""
    done = subprocess.run(
        [str(Path(python).with_name("hf")), *args],
        env=hub_env(server, home, token, **extra_env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=home,
    )
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout
