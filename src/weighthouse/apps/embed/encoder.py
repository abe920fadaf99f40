"""A sentence-transformers model, loaded from a model repo with transformers and no code of the
repo's own: the weights must be safetensors (a pickle could run code), and the pooling and
normalisation the model was trained with are read from its ``modules.json`` and pooling
config, as sentence-transformers itself reads them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from weighthouse.apps.contract import AppFailed, InputRepo

POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"
POOLING_MODES = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
    "pooling_mode_mean_tokens": "mean",
}
WEIGHTS = "model.safetensors"
CONFIG_SUFFIXES = (".json", ".txt", ".model")
"""Configs, vocabularies and sentencepiece models: what a tokenizer and config load from."""


class SentenceEncoder:
    def __init__(
        self, tokenizer: Any, model: Any, pooling: str, normalise: bool, max_length: int
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.pooling = pooling
        self.normalise = normalise
        self.max_length = max_length
        self.dimension = int(model.config.hidden_size)

    @classmethod
    def load(cls, repo: InputRepo, max_length: int | None) -> SentenceEncoder:
        paths = {f.path for f in repo.files()}
        if WEIGHTS not in paths or "config.json" not in paths:
            raise AppFailed(f"{repo.name} has no {WEIGHTS} and config.json at its root")
        modules = _json(repo, "modules.json") if "modules.json" in paths else []
        pooling_dir = next((m.get("path", "") for m in modules if m.get("type") == POOLING), "")
        wanted = [p for p in paths if "/" not in p and p.endswith(CONFIG_SUFFIXES)]
        if pooling_dir and f"{pooling_dir}/config.json" in paths:
            wanted.append(f"{pooling_dir}/config.json")
        folder = repo.materialise(sorted({*wanted, WEIGHTS}))
        pooling = "mean"
        if pooling_dir and (folder / pooling_dir / "config.json").is_file():
            pooling = _pooling_mode(json.loads((folder / pooling_dir / "config.json").read_text()))
        if max_length is None and (folder / "sentence_bert_config.json").is_file():
            config = json.loads((folder / "sentence_bert_config.json").read_text())
            max_length = config.get("max_seq_length")
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModel.from_pretrained(
                folder, local_files_only=True, use_safetensors=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError) as e:
            raise AppFailed(f"cannot load the model from {repo.name}: {e}") from None
        model.eval()
        normalise = any(m.get("type") == NORMALIZE for m in modules)
        return cls(tokenizer, model, pooling, normalise, int(max_length or 512))

    def encode(
        self, texts: list[str], batch_size: int, progress: Callable[[int, int, str], None]
    ) -> np.ndarray:
        """One row per text; ``progress`` is called before each batch (and may raise to
        cancel)."""
        rows = []
        for start in range(0, len(texts), batch_size):
            progress(start, len(texts), "embedding")
            batch = self.tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
            rows.append(self._pool(hidden, batch["attention_mask"]))
        progress(len(texts), len(texts), "embedding")
        vectors = torch.cat(rows)
        if self.normalise:
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors.numpy()

    def _pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "cls":
            return hidden[:, 0]
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        if self.pooling == "max":
            return hidden.masked_fill(weights == 0, float("-inf")).max(dim=1).values
        summed = (hidden * weights).sum(dim=1)
        counts = weights.sum(dim=1).clamp(min=1e-9)
        return summed / (counts.sqrt() if self.pooling == "mean_sqrt_len" else counts)


def _json(repo: InputRepo, path: str) -> Any:
    with repo.open(path) as stream:
        raw = stream.read(1024 * 1024)
    try:
        found = json.loads(raw)
    except ValueError as e:
        raise AppFailed(f"{path} of {repo.name} is not JSON: {e}") from None
    if not isinstance(found, list) or not all(isinstance(m, dict) for m in found):
        raise AppFailed(f"{path} of {repo.name} is not a list of modules")
    return found


def _pooling_mode(config: dict[str, Any]) -> str:
    for key, mode in POOLING_MODES.items():
        if config.get(key):
            return mode
    raise AppFailed("the model's pooling config names no pooling mode the embed app knows")
