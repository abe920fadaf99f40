"""The ``embed`` app: a sentence-embedding model stored in a model repo embeds the text files of
a dataset repo, on the CPU — the replaced worker API's "similarity" demo.

Results: ``embeddings.npy`` (float32, one row per file, L2-normalised when the model says so),
``files.json`` (the file of each row) and ``neighbours.json`` (each file's nearest files by
cosine similarity). Its libraries (torch, transformers) are the ``embed`` extra, imported only
when a job runs, so workers without them still load the other apps.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from weighthouse.apps.contract import AppContext, AppFailed
from weighthouse.apps.embed.texts import read_texts

EXTRA_HINT = "the embed app needs its extra: pip install 'weighthouse[embed]'"


class EmbedApp:
    name = "embed"
    description = "Embeds a dataset's text files with a sentence-embedding model repo."
    inputs: Mapping[str, str] = {"model": "model", "dataset": "dataset"}
    parameters_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "prefix": {"type": "string", "default": ""},
            "neighbours": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
            "batch_size": {"type": "integer", "minimum": 1, "maximum": 512, "default": 32},
            "max_length": {"type": "integer", "minimum": 8, "maximum": 8192},
        },
        "additionalProperties": False,
    }
    time_limit_seconds = 3600.0
    max_attempts = 2

    def __init__(self) -> None:
        self._loaded: tuple[tuple[str, str, Any], Any] | None = None

    def run(self, context: AppContext) -> Mapping[str, Any]:
        try:
            import numpy as np

            from weighthouse.apps.embed.encoder import SentenceEncoder
            from weighthouse.apps.embed.neighbours import nearest
        except ImportError as e:
            raise AppFailed(f"{EXTRA_HINT} ({e})") from None
        params = context.params
        texts = read_texts(context.inputs["dataset"], str(params.get("prefix", "")))
        if len(texts) < 2:
            raise AppFailed("the dataset needs at least two text files (.txt or .md)")
        model = context.inputs["model"]
        key = (model.name, model.commit, params.get("max_length"))
        if self._loaded is None or self._loaded[0] != key:
            # One model is kept between jobs: the next job on the same commit skips the load.
            self._loaded = None
            self._loaded = (key, SentenceEncoder.load(model, params.get("max_length")))
        encoder = self._loaded[1]
        context.log(f"model loaded: dimension {encoder.dimension}, {len(texts)} texts")
        vectors = encoder.encode(
            [t.text for t in texts], int(params.get("batch_size", 32)), context.progress
        )
        paths = [t.path for t in texts]
        found = nearest(vectors, min(int(params.get("neighbours", 5)), len(texts) - 1))
        neighbours = {
            paths[row]: [{"path": paths[j], "score": round(s, 6)} for j, s in hits]
            for row, hits in enumerate(found)
        }
        buffer = io.BytesIO()
        np.save(buffer, vectors.astype(np.float32), allow_pickle=False)
        context.write_result("embeddings.npy", buffer.getvalue())
        context.write_result("files.json", json.dumps(paths, indent=1).encode())
        context.write_result("neighbours.json", json.dumps(neighbours, indent=1).encode())
        return {
            "files": len(paths),
            "dimension": encoder.dimension,
            "truncated": sum(t.truncated for t in texts),
            "normalised": encoder.normalise,
        }
