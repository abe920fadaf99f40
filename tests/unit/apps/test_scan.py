"""The scan app on real checkpoints and on crafted pickles whose payload writes a marker file:
the payload is flagged and never runs (and does run when the same bytes are unpickled, so the
test would notice a scan that loaded them)."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.app_context import FakeAppContext, FolderRepo

from weighthouse.apps.inspect import InspectApp
from weighthouse.apps.scan import IMPORTS_SHOWN, ScanApp


class Payload:
    """Unpickling this runs ``os.system(command)``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


class EvalPayload:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (eval, (self.code,))


def malicious_files(folder: Path, marker: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    touch = f"touch {marker}"
    state = {"weight": [1.0, 2.0], "hook": Payload(touch)}
    (folder / "protocol2.bin").write_bytes(pickle.dumps(state, protocol=2))
    (folder / "protocol0.pkl").write_bytes(pickle.dumps(Payload(touch), protocol=0))
    # Protocol 4 names globals with STACK_GLOBAL from memoised strings.
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    (folder / "eval.ckpt").write_bytes(pickle.dumps([EvalPayload(code)] * 2, protocol=4))
    # The payload inside a PyTorch zip, where torch.load would find it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
        archive.writestr("archive/version", "3\n")
    (folder / "zipped.pt").write_bytes(buffer.getvalue())
    # A good pickle followed by a bad one: a loader that reads twice runs the second.
    (folder / "second.pth").write_bytes(pickle.dumps({}, 2) + pickle.dumps(Payload(touch), 2))


def scan(folder: Path, tmp_path: Path) -> tuple[dict[str, Any], FakeAppContext]:
    context = FakeAppContext({"model": FolderRepo(folder)}, tmp_path)
    return dict(ScanApp().run(context)), context


def test_payloads_are_flagged_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "repo"
    malicious_files(folder, marker)

    output, context = scan(folder, tmp_path)
    InspectApp().run(FakeAppContext({"model": FolderRepo(folder)}, tmp_path))

    assert not marker.exists()
    assert output["verdict"] == "dangerous"
    assert output["files"] == dict.fromkeys(
        ["eval.ckpt", "protocol0.pkl", "protocol2.bin", "second.pth", "zipped.pt"], "dangerous"
    )
    for path in ("protocol2.bin", "protocol0.pkl", "zipped.pt", "second.pth"):
        report = json.loads(context.results[f"files/{path}.json"])
        assert report["dangerous"] == ["posix.system"], path
    assert json.loads(context.results["files/eval.ckpt.json"])["dangerous"] == ["builtins.eval"]
    assert json.loads(context.results["scan.json"])["flagged"]["zipped.pt"] == ["posix.system"]

    # The same bytes do run their payload when unpickled: the files are live.
    for path in ("protocol2.bin", "eval.ckpt"):
        load = f"import pickle; pickle.loads(open({str(folder / path)!r}, 'rb').read())"
        subprocess.run([sys.executable, "-c", load], check=False, capture_output=True)
        assert marker.exists(), path
        marker.unlink()


def test_real_checkpoints_are_safe_and_a_whole_module_is_suspicious(
    samples: Path, tmp_path: Path
) -> None:
    output, context = scan(samples, tmp_path)
    assert output["files"] == {
        "legacy.bin": "safe", "module.pth": "suspicious", "zip.pt": "safe",
    }  # fmt: skip
    legacy = json.loads(context.results["files/legacy.bin.json"])
    assert legacy["pickles"] == 5 and legacy["errors"] == []
    module = json.loads(context.results["files/module.pth.json"])
    assert "torch.nn.modules.linear.Linear" in module["suspicious"] and not module["dangerous"]


def test_a_pickle_cut_after_its_payload_is_still_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    whole = pickle.dumps(Payload("true"), protocol=2)
    (folder / "cut.pkl").write_bytes(whole[: whole.index(b"R") + 1])
    (folder / "raw.bin").write_bytes(b"\x01\x02not a pickle at all")
    output, context = scan(folder, tmp_path)
    assert output["files"] == {"cut.pkl": "dangerous", "raw.bin": "safe"}
    assert json.loads(context.results["files/cut.pkl.json"])["errors"]
    assert json.loads(context.results["files/raw.bin.json"])["pickles"] == 0


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("torch._utils", "_rebuild_tensor_v2", "safe"),
        ("torch", "BFloat16Storage", "safe"),
        ("numpy.core.multiarray", "_reconstruct", "safe"),
        ("subprocess", "Popen", "dangerous"),
        ("builtins", "exec", "dangerous"),
        ("builtins", "__import__", "dangerous"),
        ("runpy", "run_path", "dangerous"),
        ("nt", "system", "dangerous"),
        ("socket", "create_connection", "dangerous"),
        ("os.path", "join", "dangerous"),
        ("torch.nn.modules.linear", "Linear", "suspicious"),
        ("mypackage", "Thing", "suspicious"),
    ],
)
def test_globals_are_classified(module: str, name: str, verdict: str) -> None:
    from weighthouse.apps.scan.verdict import classify

    assert classify(module, name) == verdict


def test_each_file_s_imports_are_listed_by_module_and_name_worst_first(
    samples: Path, tmp_path: Path
) -> None:
    """What the Hub API's ``pickleImports`` shows: a dotted name alone cannot say where the
    module ends (``torch._utils._rebuild_tensor_v2``)."""
    folder = tmp_path / "repo"
    folder.mkdir()
    state = {"w": [1.0], "hook": Payload("true"), "odd": zipfile.ZipInfo("x")}
    (folder / "mixed.bin").write_bytes(pickle.dumps(state, protocol=2))
    output, context = scan(folder, tmp_path)
    imports = output["imports"]["mixed.bin"]
    assert imports[0] == {"module": "posix", "name": "system", "verdict": "dangerous"}
    assert {"module": "zipfile", "name": "ZipInfo", "verdict": "suspicious"} in imports
    rank = {"dangerous": 0, "suspicious": 1, "safe": 2}
    assert [rank[i["verdict"]] for i in imports] == sorted(rank[i["verdict"]] for i in imports)
    report = json.loads(context.results["files/mixed.bin.json"])
    assert report["imports"] == output["imports"]["mixed.bin"]
    real, _ = scan(samples, tmp_path / "samples")
    assert {"module": "torch._utils", "name": "_rebuild_tensor_v2", "verdict": "safe"} in real[
        "imports"
    ]["zip.pt"]


def test_a_file_naming_more_imports_than_shown_keeps_the_worst(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    # Many globals no loader needs (each pushed by GLOBAL, then popped), then a payload.
    names = [f"Class{n}".encode() for n in range(IMPORTS_SHOWN + 20)]
    body = b"".join(b"cinnocent.module\n" + name + b"\n0" for name in names)
    (folder / "many.pkl").write_bytes(b"\x80\x02" + body + pickle.dumps(Payload("true"), 2)[2:])
    output, context = scan(folder, tmp_path)
    shown = output["imports"]["many.pkl"]
    assert len(shown) == IMPORTS_SHOWN
    assert shown[0] == {"module": "posix", "name": "system", "verdict": "dangerous"}
    assert len(json.loads(context.results["files/many.pkl.json"])["imports"]) == len(names) + 1
