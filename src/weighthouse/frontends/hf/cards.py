"""Model and dataset cards: the YAML front matter of ``README.md``, as repo info's
``cardData`` and as ``validate-yaml`` checks it before a commit.

The front matter is user input: at most ``CARD_MAX`` bytes are read, and YAML aliases are
refused, because a few lines of nested aliases expand to gigabytes once serialised.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

CARD_MAX = 64 * 1024
"""Bytes of ``README.md`` read for its front matter."""


class InvalidCardError(ValueError):
    """The front matter is not a YAML mapping this server will read."""


def front_matter(text: str) -> dict[str, Any] | None:
    """The metadata block between a first ``---`` line and the next, or ``None`` without one.
    Raises :class:`InvalidCardError` for YAML that does not parse to a mapping, or uses
    aliases."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return None
    block = "\n".join(lines[1:end])
    try:
        if any(isinstance(t, yaml.AliasToken) for t in yaml.scan(block)):
            raise InvalidCardError("YAML aliases (*name) are not allowed in card metadata")
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        raise InvalidCardError(f"the card metadata is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidCardError("the card metadata must be a YAML mapping")
    # Dates and other YAML scalars become the strings JSON can carry.
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def card_data(readme: bytes) -> dict[str, Any] | None:
    """Repo info's ``cardData`` from the first bytes of ``README.md``; ``None`` when there is
    none or it cannot be read (a broken card never breaks repo info)."""
    try:
        return front_matter(readme[:CARD_MAX].decode("utf-8", "replace"))
    except InvalidCardError:
        return None
