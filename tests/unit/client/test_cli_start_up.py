"""What starting a transfer command costs: a ``weighthouse pull`` into a pipe imports neither
httpx's own command-line tool (click's help, rich, pygments) nor tqdm, whose bars it would not
draw. Run in a fresh interpreter, since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
from weighthouse.cli.main import cli
from weighthouse.cli.commands.pull import command
from weighthouse.cli.remote import progress_bars
import httpx

bar = progress_bars(False)("pulling", 10)
bar.update(10)
bar.close()
with httpx.Client() as client:
    pass
print(json.dumps(sorted(m for m in ("httpx._main", "rich", "pygments", "tqdm")
                        if sys.modules.get(m) is not None)))
"""


def test_a_pull_into_a_pipe_loads_no_terminal_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_bars_asked_for_are_still_drawn() -> None:
    probe = PROBE.replace("progress_bars(False)", "progress_bars(True)")
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == ["tqdm"]
    assert "pulling" in done.stderr
