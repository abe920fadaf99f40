"""What the inspect and scan jobs a push queues found, shown with the repo: REST repo info and
tree entries (httpx), the Hub API's ``safetensors``, tags and each file's security in expanded
listings (``huggingface_hub``), for a safetensors push and a malicious pickle (flagged without
ever running), to readers only."""

from __future__ import annotations

import json
import os
import pickle
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    env = {
        "WEIGHTHOUSE_JOBS__APPS": json.dumps(["inspect", "scan"]),
        "WEIGHTHOUSE_JOBS__POLL_SECONDS": "0.05",
    }
    data_dir = tmp_path_factory.mktemp("findings") / "data"
    live = LiveServer(data_dir=data_dir, workers=server_workers, extra_env=env).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


def safetensors_bytes(tensors: dict[str, tuple[str, list[int], int]]) -> bytes:
    """A real safetensors file: ``name -> (dtype, shape, bytes per item)``, zero-filled."""
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape, width) in tensors.items():
        size = width
        for dim in shape:
            size *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + bytes(offset)


def pushed_jobs_end(client: httpx.Client, app: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        jobs = client.get("/api/jobs", params={"app": app}).json()
        if len(jobs) >= count and all(j["status"] == "succeeded" for j in jobs):
            return
        assert not any(j["status"] in ("failed", "cancelled") for j in jobs), jobs
        assert time.monotonic() < deadline, jobs
        time.sleep(0.1)


class Payload:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (self.command,))


def test_inspect_and_scan_results_show_in_repo_info_tree_and_hub_api(
    server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    weights = safetensors_bytes(
        {"w": ("F32", [64, 32], 4), "b": ("F32", [32], 4), "e": ("BF16", [10, 8], 2)}
    )
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"w": [1.0], "hook": Payload(f"touch {marker}")}, protocol=2)
    with server.client(alice.token) as client:
        repo = make_repo(client, alice.name, private=True)
        before = upload(client, repo, "model.safetensors", weights)["commit"]["id"]
        upload(client, repo, "pytorch_model.bin", evil)
        pushed_jobs_end(client, "inspect", 2)
        pushed_jobs_end(client, "scan", 1)
        info = client.get(f"/api/models/{repo}")
        assert info.status_code == 200, info.text
        findings = info.json()["findings"]
        assert findings["labels"] == ["unsafe-pickle"]
        assert findings["safetensors"] == {
            "parameters": {"F32": 64 * 32 + 32, "BF16": 80},
            "total": 64 * 32 + 32 + 80,
        }
        by_path = {f["path"]: f for f in findings["files"]}
        assert by_path["model.safetensors"]["inspect"] == {
            "format": "safetensors",
            "tensor_count": 3,
            "parameter_count": 64 * 32 + 32 + 80,
            "dtypes": {"BF16": 80, "F32": 64 * 32 + 32},
        }
        assert by_path["model.safetensors"]["labels"] == []
        scanned = by_path["pytorch_model.bin"]
        assert scanned["scan"]["verdict"] == "dangerous"
        assert "posix.system" in scanned["scan"]["flagged"]
        assert scanned["scan"]["imports"][0] == {
            "module": "posix",
            "name": "system",
            "verdict": "dangerous",
        }
        assert scanned["labels"] == ["unsafe-pickle"]
        tree = client.get(f"/api/models/{repo}/tree/main").json()
        entries = {e["path"]: e for e in tree["entries"]}
        assert entries["pytorch_model.bin"]["findings"]["labels"] == ["unsafe-pickle"]
        assert entries["model.safetensors"]["findings"]["inspect"]["tensor_count"] == 3
        # The same bytes in another repo carry their findings there too, for its readers.
        other = make_repo(client, alice.name)
        upload(client, other, "copy/evil.bin", evil)
        copied = client.get(f"/api/models/{other}").json()["findings"]
        assert copied["labels"] == ["unsafe-pickle"]
        # The revision before the pickle arrived has no label.
        earlier = client.get(f"/api/models/{repo}", params={"revision": before}).json()
        assert earlier["findings"]["labels"] == []
        assert [f["path"] for f in earlier["findings"]["files"]] == ["model.safetensors"]
        missing = client.get(f"/api/models/{repo}", params={"revision": "nope"})
        assert missing.status_code == 404
    hub = run_hub(
        server,
        f"""
        api = HfApi()
        info = api.model_info({repo!r})
        paths = ["pytorch_model.bin", "model.safetensors"]
        security = lambda files: {{f.path: f.security for f in files}}
        print(json.dumps({{
            "parameters": info.safetensors.parameters,
            "total": info.safetensors.total,
            "tags": info.tags,
            "paths_info": security(api.get_paths_info({repo!r}, paths, expand=True)),
            "tree": security(api.list_repo_tree({repo!r}, expand=True)),
            "unexpanded": security(api.get_paths_info({repo!r}, paths)),
        }}))
        """,
        home=tmp_path / "hub",
        token=alice.token,
    )
    assert hub["parameters"] == {"F32": 64 * 32 + 32, "BF16": 80}
    assert hub["total"] == 64 * 32 + 32 + 80
    assert "unsafe-pickle" in hub["tags"]
    # The scan's verdict as the Hub client reads a file's security, for the pickle only.
    for listed in (hub["paths_info"], hub["tree"]):
        assert listed["model.safetensors"] is None
        pickled = listed["pytorch_model.bin"]
        assert (pickled["safe"], pickled["status"]) == (False, "unsafe")
        assert pickled["av_scan"] == {"status": "unscanned"}
        assert pickled["pickle_import_scan"]["status"] == "unsafe"
        assert {"module": "posix", "name": "system", "safety": "dangerous"} in pickled[
            "pickle_import_scan"
        ]["pickleImports"]
    assert hub["unexpanded"] == {"pytorch_model.bin": None, "model.safetensors": None}
    assert not marker.exists()
    bob = make_user(server)
    with server.client(bob.token) as client:
        assert client.get(f"/api/models/{repo}").status_code == 404
        assert client.get(f"/api/models/{repo}/tree/main").status_code == 404
        assert client.get(f"/hf/api/models/{repo}").status_code in (401, 404)
        expanded = client.post(
            f"/hf/api/models/{repo}/paths-info/main",
            json={"paths": ["pytorch_model.bin"], "expand": True},
        )
        assert expanded.status_code in (401, 404) and "posix" not in expanded.text
    with server.client() as anonymous:
        assert anonymous.get(f"/api/models/{repo}").status_code in (401, 404)
