"""README.md runs as written: every ``sh`` block, in order, in one bash, against a live server.

The convention, which README.md follows:

- A block fenced ```` ```sh ```` is run. Blocks fenced otherwise (```` ```python ````,
  ```` ```toml ````, ```` ```text ````) are shown, not run.
- An ``sh`` block right below a line ``<!-- readme: not run (reason) -->`` is not run; every
  such block is listed in ``NOT_RUN`` below, so a new exemption fails this test until it is
  listed here with its reason.

The blocks run in one ``bash`` process under ``set -euo pipefail``, so any failing command fails
the test, with the venv's ``bin`` first on ``PATH`` (and ``.venv`` linked into the working
folder, so ``source .venv/bin/activate`` works as in a checkout), a temporary ``HOME`` and
working folder. The server is a live one started the README's way: ``weighthouse serve`` with
the first admin's token preset through ``WEIGHTHOUSE_ADMIN__TOKEN``. The bash process learns
where the server is only through the variables the README documents: ``WEIGHTHOUSE_URL``,
``WEIGHTHOUSE_S3__PORT``, ``WEIGHTHOUSE_GRPC__PORT``, ``WEIGHTHOUSE_ADMIN__TOKEN`` and
``WEIGHTHOUSE_DATA_DIR`` (for the commands run on the server's host).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_RUN_MARKER = re.compile(r"<!-- readme: not run \((?P<reason>[^)]+)\) -->")
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")

# The first line of every block that is not run, and why.
NOT_RUN = {
    "make run": "starts the server: the test starts its own the same way",
    "make test": "runs the whole suite, this test included",
}


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    not_run: str | None  # the reason, for a block marked not to run


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown`` in order, each with the marker above it if any."""
    found: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        above = lines[start - 1] if start > 0 else ""
        marker = NOT_RUN_MARKER.search(above)
        found.append(
            Block(
                line=start + 1,
                lang=opening["lang"],
                text="\n".join(body) + "\n",
                not_run=marker["reason"] if marker else None,
            )
        )
        index += 1
    return found


def first_line(block: Block) -> str:
    return block.text.splitlines()[0].split("#")[0].strip() if block.text.strip() else ""


def script(markdown: str) -> str:
    """The bash script the README's runnable blocks make, each announced on stderr."""
    parts = ["set -euo pipefail"]
    for block in blocks(markdown):
        if block.lang != "sh" or block.not_run is not None:
            continue
        parts.append(f"echo '### README.md line {block.line}' >&2")
        parts.append("set -x")
        parts.append(block.text)
        parts.append("set +x")
    return "\n".join(parts) + "\n"


def run_readme(markdown: str, server: LiveServer, work: Path) -> subprocess.CompletedProcess[str]:
    home = work / "home"
    cwd = work / "cwd"
    home.mkdir()
    cwd.mkdir()
    venv = Path(sys.executable).parent.parent
    (cwd / ".venv").symlink_to(venv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEIGHTHOUSE_", "HF_", "AWS_"))}
    env.update(
        {
            "HOME": str(home),
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "WEIGHTHOUSE_URL": server.url,
            "WEIGHTHOUSE_S3__PORT": str(server.s3_port),
            "WEIGHTHOUSE_GRPC__PORT": str(server.grpc_port),
            "WEIGHTHOUSE_ADMIN__TOKEN": server.admin_token,
            "WEIGHTHOUSE_DATA_DIR": str(server.data_dir),
        }
    )
    return subprocess.run(
        ["bash", "-c", script(markdown)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,  # a bound for a hung command; the run takes 60-300 s on a loaded machine
    )


def test_the_exempt_blocks_are_exactly_the_listed_ones() -> None:
    sh = [block for block in blocks(README.read_text()) if block.lang == "sh"]
    exempt = {first_line(block): block.not_run for block in sh if block.not_run is not None}
    assert set(exempt) == set(NOT_RUN), exempt
    assert len(sh) > len(exempt) + 5


@pytest.mark.timeout(600)
def test_the_readme_runs_verbatim(fresh_server: LiveServer, tmp_path: Path) -> None:
    result = run_readme(README.read_text(), fresh_server, tmp_path)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"


def test_a_failing_readme_command_fails_the_run(fresh_server: LiveServer, tmp_path: Path) -> None:
    """The harness itself: one broken command in an otherwise good README stops the run."""
    broken = README.read_text().replace(
        "weighthouse repo create alice/bert-tiny", "weighthouse repo create alice/bert tiny", 1
    )
    assert broken != README.read_text()
    result = run_readme(broken, fresh_server, tmp_path)
    assert result.returncode != 0
    assert "alice/bert tiny" in result.stderr
