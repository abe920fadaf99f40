"""The inspect app on files written by torch, safetensors, gguf and onnx: the tensor counts,
shapes and parameter totals those libraries report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.app_context import FakeAppContext, FolderRepo

from weighthouse.apps.contract import AppFailed, JobCancelled
from weighthouse.apps.inspect import InspectApp

FORMATS = {
    "model.safetensors": "safetensors",
    "model.gguf": "gguf",
    "zip.pt": "pytorch-zip",
    "legacy.bin": "pytorch-legacy",
    "module.pth": "pytorch-zip",
    "model.onnx": "onnx",
}


def run(folder: Path, tmp_path: Path, **params: Any) -> tuple[dict[str, Any], FakeAppContext]:
    context = FakeAppContext({"model": FolderRepo(folder)}, tmp_path, params)
    return dict(InspectApp().run(context)), context


def test_every_format_gets_the_counts_its_library_reports(
    samples: Path, expected: dict[str, Any], tmp_path: Path
) -> None:
    output, context = run(samples, tmp_path)

    assert output["file_count"] == len(FORMATS) and output["failed"] == 0
    assert output["tensor_count"] == sum(e["tensor_count"] for e in expected.values())
    assert output["parameter_count"] == sum(e["parameter_count"] for e in expected.values())
    for path, fmt in FORMATS.items():
        report = json.loads(context.results[f"files/{path}.json"])
        assert report["format"] == fmt, path
        assert report["tensor_count"] == expected[path]["tensor_count"], path
        assert report["parameter_count"] == expected[path]["parameter_count"], path
        shapes = {t["name"]: t["shape"] for t in report["tensors"]}
        assert shapes == expected[path]["shapes"], path
    summary = json.loads(context.results["inspect.json"])
    assert [f["path"] for f in summary["files"]] == sorted(FORMATS)
    assert context.progress_calls[-1][:2] == (len(FORMATS), len(FORMATS))


def test_dtypes_and_metadata_are_recorded(samples: Path, tmp_path: Path) -> None:
    _, context = run(samples, tmp_path, paths=["model.gguf", "zip.pt", "model.safetensors"])
    gguf = json.loads(context.results["files/model.gguf.json"])
    assert gguf["dtypes"] == {"F16": 32 * 32, "F32": 300 * 32 + 32, "Q8_0": 4 * 64}
    assert gguf["metadata"]["general.architecture"] == "llama"
    assert gguf["metadata"]["tokenizer.ggml.tokens"] == {"array": "string", "length": 300}
    assert gguf["metadata"]["gguf.version"] == 3
    torch_zip = json.loads(context.results["files/zip.pt.json"])
    assert torch_zip["dtypes"] == {"bfloat16": 3, "float32": 58}
    assert json.loads(context.results["files/model.safetensors.json"])["metadata"] == {
        "format": "np"
    }
    assert set(context.results) == {
        "inspect.json", "files/model.gguf.json", "files/zip.pt.json",
        "files/model.safetensors.json",
    }  # fmt: skip


def test_a_garbage_file_is_recorded_beside_the_good_ones(samples: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "good.safetensors").write_bytes((samples / "model.safetensors").read_bytes())
    (mixed / "bad.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 16)
    output, context = run(mixed, tmp_path)
    assert output["failed"] == 1 and output["tensor_count"] == 5
    assert (
        "more than the file can hold" in json.loads(context.results["files/bad.gguf.json"])["error"]
    )


def test_only_garbage_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "weights.bin").write_bytes(b"\x00" * 64)
    with pytest.raises(AppFailed, match=r"no file could be inspected: weights.bin: not a"):
        run(repo, tmp_path)


def test_paths_must_name_files_of_the_commit(samples: Path, tmp_path: Path) -> None:
    with pytest.raises(AppFailed, match=r"nope\.safetensors"):
        run(samples, tmp_path, paths=["nope.safetensors"])
    with pytest.raises(AppFailed, match="list of repo paths"):
        run(samples, tmp_path, paths="model.gguf")


def test_cancel_stops_between_files(samples: Path, tmp_path: Path) -> None:
    context = FakeAppContext({"model": FolderRepo(samples)}, tmp_path, cancel_after=2)
    with pytest.raises(JobCancelled):
        InspectApp().run(context)
    assert len(context.results) == 1
