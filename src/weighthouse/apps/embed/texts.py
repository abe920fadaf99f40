"""The text files of a dataset input the embed app reads."""

from __future__ import annotations

from dataclasses import dataclass

from weighthouse.apps.contract import InputRepo

TEXT_SUFFIXES = (".txt", ".md")
MAX_TEXT = 64 * 1024
"""Bytes read of each file: far past what a sentence model's token window takes."""


@dataclass(frozen=True)
class Text:
    path: str
    text: str
    truncated: bool


def read_texts(repo: InputRepo, prefix: str) -> list[Text]:
    texts = []
    for entry in repo.files(prefix):
        if not entry.path.lower().endswith(TEXT_SUFFIXES):
            continue
        with repo.open(entry.path) as stream:
            raw = stream.read(MAX_TEXT)
        texts.append(Text(entry.path, raw.decode("utf-8", "replace"), entry.size > MAX_TEXT))
    return texts
