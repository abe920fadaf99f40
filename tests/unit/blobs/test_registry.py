from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from weighthouse.blobs import registry
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.blobs.registry import BlobDriverConfigError, available_drivers, create_driver

pytestmark = pytest.mark.unit

GROUP = registry.ENTRY_POINT_GROUP


def plugin(name: str, value: str = "weighthouse.blobs.memory:MemoryBlobDriver") -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def test_builtin_drivers(tmp_path: Path) -> None:
    local = create_driver("local", root=str(tmp_path))
    assert isinstance(local, LocalBlobDriver)
    assert local.root == tmp_path.resolve()
    assert isinstance(create_driver("memory"), MemoryBlobDriver)


def test_unknown_names_and_bad_options_are_config_errors() -> None:
    with pytest.raises(BlobDriverConfigError, match="known: local, memory"):
        create_driver("ftp")
    with pytest.raises(BlobDriverConfigError, match="bad options"):
        create_driver("local")
    with pytest.raises(BlobDriverConfigError, match="bad options"):
        create_driver("memory", root="/x")


def test_plugins_load_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "entry_points", lambda group: [plugin("ram")])
    assert "ram" in available_drivers()
    assert isinstance(create_driver("ram"), MemoryBlobDriver)


def test_a_name_registered_twice_is_refused() -> None:
    with pytest.raises(BlobDriverConfigError, match="'local' is registered twice"):
        available_drivers([plugin("local")])
    with pytest.raises(BlobDriverConfigError, match="registered twice"):
        available_drivers([plugin("s3", "a:B"), plugin("s3", "c:D")])


def test_the_same_plugin_seen_twice_is_not_a_clash() -> None:
    assert "s3" in available_drivers([plugin("s3", "a:B"), plugin("s3", "a:B")])
