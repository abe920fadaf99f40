"""The embed app with the real all-MiniLM-L6-v2 weights on 200 short texts (run in the cached
apps environment, where torch and transformers are): near-identical texts are each other's
nearest neighbours and the vectors are the model's."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from tests.app_context import FakeAppContext, FolderRepo
from tests.apps_env import run_in_apps_env

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.embed import EmbedApp

DRIVER = Path(__file__).with_name("run_embed.py")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    work = tmp_path_factory.mktemp("embed")
    return json.loads(run_in_apps_env(DRIVER, str(work))), work


def test_near_identical_texts_are_each_others_nearest(
    embedded: tuple[dict[str, Any], Path],
) -> None:
    report, _ = embedded
    files, neighbours = report["files"], report["neighbours"]
    assert len(files) == 200 and all(f.startswith("texts/") for f in files)
    first, second = "texts/037.txt", "texts/151.txt"
    assert neighbours[first][0]["path"] == second
    assert neighbours[second][0]["path"] == first
    assert neighbours[first][0]["score"] > 0.8
    assert all(len(hits) == 3 and path not in [h["path"] for h in hits]
               for path, hits in neighbours.items())  # fmt: skip
    assert report["output"] == {
        "files": 200, "dimension": 384, "truncated": 0, "normalised": True,
    }  # fmt: skip


def test_vectors_are_written_as_a_float32_matrix(embedded: tuple[dict[str, Any], Path]) -> None:
    report, work = embedded
    assert report["results"] == ["embeddings.npy", "files.json", "neighbours.json"]
    data = (work / "embeddings.npy").read_bytes()
    assert data[:6] == b"\x93NUMPY"
    header_size = int.from_bytes(data[8:10], "little")
    header = ast.literal_eval(data[10 : 10 + header_size].decode())
    assert header["descr"] == "<f4" and header["shape"] == (200, 384)
    assert len(data) == 10 + header_size + 200 * 384 * 4


def test_only_the_model_files_it_needs_are_materialised(
    embedded: tuple[dict[str, Any], Path],
) -> None:
    materialised = embedded[0]["materialised"]
    assert "model.safetensors" in materialised and "1_Pooling/config.json" in materialised
    assert "README.md" not in materialised and ".gitattributes" not in materialised


def test_cancel_and_pickled_weights(embedded: tuple[dict[str, Any], Path]) -> None:
    report, _ = embedded
    assert report["cancelled_after"] == 3
    # The second job on the same model commit reused the loaded model.
    assert report["loads"] == report["loads_after_cancel"] == 1
    assert "has no model.safetensors" in report["pickle_only"]


def test_without_its_extra_the_app_fails_with_the_install_hint(tmp_path: Path) -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("torch is installed here: the hint is not needed")
    repo = FolderRepo(tmp_path)
    with pytest.raises(AppFailed, match=r"weighthouse\[embed\]"):
        EmbedApp().run(FakeAppContext({"model": repo, "dataset": repo}, tmp_path))


def test_inspect_counts_the_real_model_as_safetensors_does(
    embedded: tuple[dict[str, Any], Path],
) -> None:
    report, _ = embedded
    counted = report["safetensors_count"]
    assert counted["parameter_count"] > 20_000_000  # all-MiniLM-L6-v2 has some 22.7 million
    assert report["inspect"]["tensor_count"] == counted["tensor_count"]
    assert report["inspect"]["parameter_count"] == counted["parameter_count"]
    assert report["inspect"]["failed"] == 0 and report["inspect"]["file_count"] == 1
