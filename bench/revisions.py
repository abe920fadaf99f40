"""Another revision of Weighthouse as a peer in the same benchmark run (``--baseline-rev``).

The revision is checked out as a detached git worktree in a cache folder
(``$XDG_CACHE_HOME/weighthouse-bench/revisions/<commit>``, kept between runs) and run from its
own ``src`` with the benchmark's interpreter. If it does not start that way (its dependencies
differ), its own Makefile builds it a virtual environment in the checkout (``.venv``, cached
with it), which is used instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from servers import _request, _spawn, _wait_until, free_port, log, stop_process

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Revision:
    """A checked-out revision and how to run it."""

    commit: str
    checkout: Path
    python: str  # the interpreter that runs it
    env: dict[str, str]  # added to a server's environment (PYTHONPATH of its own source)
    has_workers: bool  # whether its ``serve`` takes ``--workers``

    @property
    def short(self) -> str:
        return self.commit[:7]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "weighthouse-bench" / "revisions"


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def checkout(rev: str) -> tuple[str, Path]:
    """The full commit id of ``rev`` and a detached worktree of it in the cache folder."""
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    path = cache_root() / commit
    if (path / "src" / "weighthouse").is_dir():
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
        if head == commit:
            return commit, path
        raise RuntimeError(f"{path} holds {head or 'no checkout'}, not {commit}: remove it")
    path.parent.mkdir(parents=True, exist_ok=True)
    _git("worktree", "prune")  # a cached checkout removed by hand leaves its entry behind
    log(f"checking out {commit[:7]} in {path}")
    _git("worktree", "add", "--detach", str(path), commit)
    return commit, path


def _starts(python: str, env: dict[str, str], workdir: Path) -> bool:
    """Whether ``python -m weighthouse serve`` answers ``/healthz`` on an empty data folder."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="revision-check-", dir=workdir) as scratch:
        data_dir = Path(scratch) / "data"
        data_dir.mkdir()
        argv = [python, "-m", "weighthouse", "serve", "--port", str(port)]
        argv += ["--data-dir", str(data_dir), "--log-level", "warning"]
        full_env = {
            **os.environ,
            "WEIGHTHOUSE_DATA_DIR": str(data_dir),
            "WEIGHTHOUSE_S3__PORT": str(free_port()),
            "WEIGHTHOUSE_GRPC__PORT": str(free_port()),
            **env,
        }
        log_path = Path(scratch) / "serve.log"
        process = _spawn(argv, log_path, env=full_env, cwd=scratch)
        try:
            _wait_until(lambda: _request(port, "GET", "/healthz")[0] == 200, process, "check")
        except RuntimeError as error:
            log(f"{error}; its log:\n{log_path.read_text(errors='replace')[-2000:]}")
            return False
        finally:
            stop_process(process)
        return True


def _own_venv(path: Path) -> str:
    """The checkout's own virtual environment, built by its Makefile when missing."""
    python = path / ".venv" / "bin" / "python"
    if not (path / ".venv" / ".run-installed").exists():
        log(f"building {path}/.venv with its Makefile")
        t0 = time.monotonic()
        subprocess.run(
            ["make", "-C", str(path), "-s", ".venv/.run-installed"], timeout=1200, check=True
        )
        log(f"built in {time.monotonic() - t0:.0f}s")
    return str(python)


def prepare(rev: str, workdir: Path) -> Revision:
    """Check ``rev`` out (cached) and find an interpreter it starts with."""
    commit, path = checkout(rev)
    env = {"PYTHONPATH": str(path / "src")}
    python = sys.executable
    if not _starts(python, env, workdir):
        log(f"{commit[:7]} does not start with {python}: using its own virtual environment")
        python = _own_venv(path)
        env = {}
        if not _starts(python, env, workdir):
            raise RuntimeError(f"{commit[:7]} does not start with its own environment either")
    helped = subprocess.run(
        [python, "-m", "weighthouse", "serve", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    log(f"{commit[:7]} runs from {path} with {python}")
    return Revision(commit, path, python, env, "--workers" in helped.stdout)
