"""The Python environment that writes real weight files with their own libraries (torch,
safetensors, gguf, onnx) and runs the embed app's model (transformers, the packaged
all-MiniLM-L6-v2): built once per machine and cached like the acceptance tests' clients, so
the test suite's own environment stays light."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.acceptance.client_envs import APPS

REPO = Path(__file__).resolve().parents[1]


def apps_python() -> str:
    return APPS.python()


def run_in_apps_env(script: Path, *args: str, timeout: float = 600) -> str:
    """Run ``script`` with the apps environment's Python and this checkout's ``src`` on its
    path (offline: nothing may reach a model hub); its standard output, or the test fails
    with its standard error."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'src'}:{REPO}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    done = subprocess.run(
        [apps_python(), str(script), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"{script.name} failed:\n{done.stderr[-4000:]}")
    return done.stdout
