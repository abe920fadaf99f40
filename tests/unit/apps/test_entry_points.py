"""The built-in apps are registered under the ``weighthouse.apps`` entry-point group, each
declaring what the runner needs in the contract's terms."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest

from weighthouse.apps.contract import App

BUILT_IN = {"inspect", "scan", "embed"}
KINDS = {"model", "dataset", "bucket", "any"}
SCHEMA_KEYWORDS = {
    "type", "properties", "required", "enum", "minimum", "maximum", "default",
    "additionalProperties",
}  # fmt: skip


def keywords(schema: Any) -> set[str]:
    found = set(schema)
    for sub in schema.get("properties", {}).values():
        found |= keywords(sub)
    return found


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_each_built_in_app_loads_and_declares_itself(name: str) -> None:
    (point,) = entry_points(group="weighthouse.apps", name=name)
    app: App = point.load()()
    assert app.name == name and app.description
    assert app.inputs and set(app.inputs.values()) <= KINDS
    assert app.parameters_schema["type"] == "object"
    assert keywords(app.parameters_schema) <= SCHEMA_KEYWORDS
    assert app.time_limit_seconds > 0 and app.max_attempts >= 1
    assert callable(app.run)
