"""The ``hf`` command line of the test environment's client: sign-in check, uploads to two
branches, whole and single-file downloads. Every client set-up's own ``hf upload`` and ``hf
download`` are in ``test_hf_client_setups.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.hub_client import run_hf, run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def carol(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_the_hf_command_line(live_server: LiveServer, carol: Account, tmp_path: Path) -> None:
    repo = f"{carol.name}/{unique()}"
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"b": 2}')
    weights = os.urandom(1_500_000)
    (folder / "sub" / "weights.safetensors").write_bytes(weights)
    assert carol.name in run_hf(live_server, tmp_path, carol.token, "auth", "whoami")
    run_hf(live_server, tmp_path, carol.token, "upload", repo, str(folder), ".")
    run_hf(live_server, tmp_path, carol.token, "upload", repo, str(folder), ".", "--revision=dev")
    run_hf(live_server, tmp_path, carol.token, "download", repo, "--local-dir", "out")
    assert (tmp_path / "out" / "config.json").read_text() == '{"b": 2}'
    assert (tmp_path / "out" / "sub" / "weights.safetensors").read_bytes() == weights
    one = run_hf(
        live_server, tmp_path, carol.token, "download", repo, "config.json", "--revision", "dev"
    )
    # The CLI prints the cached file's path last (2.x: "  path: <path>").
    assert Path(one.strip().splitlines()[-1].split("path:")[-1].strip()).read_text() == '{"b": 2}'
    refs = run_hub(
        live_server,
        f"print(json.dumps(sorted(b.name for b in api.list_repo_refs({repo!r}).branches)))",
        home=tmp_path,
        token=carol.token,
    )
    assert refs == ["dev", "main"]
