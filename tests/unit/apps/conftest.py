"""Real weight files for the app tests, written by each format's own library in the cached apps
environment (tests/apps_env.py). They are written once per machine for each version of the
writing script, kept beside the environment, and copied into each test session."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.acceptance.client_envs import APPS, cache_root
from tests.apps_env import run_in_apps_env

SAMPLES_SCRIPT = Path(__file__).with_name("write_samples.py")


def cached_samples() -> Path:
    source = SAMPLES_SCRIPT.read_bytes() + "\n".join(APPS.requirements).encode()
    folder = cache_root() / f"app-samples-{hashlib.sha256(source).hexdigest()[:16]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "expected.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            run_in_apps_env(SAMPLES_SCRIPT, str(folder))
    return folder


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples") / "repo"
    shutil.copytree(cached_samples(), folder)
    return folder


@pytest.fixture(scope="session")
def expected(sample_files: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((sample_files / "expected.json").read_text())
    return found


@pytest.fixture
def samples(sample_files: Path, expected: dict[str, Any]) -> Path:
    """The sample weight files alone, as a repo's folder (tests must not change it)."""
    (sample_files / "expected.json").unlink(missing_ok=True)
    return sample_files
