"""The driver registry: names to specs, each driver validating its own settings section."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from weighthouse.blobs import registry
from weighthouse.blobs.checked import CheckedDriver
from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.blobs.registry import (
    BlobDriverConfigError,
    DriverContext,
    DriverRegistry,
    DriverSpec,
    builtin_specs,
)
from weighthouse.blobs.small import SmallBlobDriver
from weighthouse.bootstrap import create_blob_store
from weighthouse.config import ConfigError, Settings

pytestmark = pytest.mark.unit

GROUP = registry.ENTRY_POINT_GROUP


class RamSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capacity: int = 10


def _ram(settings: RamSettings, context: DriverContext) -> BlobDriver:
    driver = MemoryBlobDriver()
    driver.name = f"ram-{settings.capacity}"  # type: ignore[misc]
    return driver


RAM = DriverSpec(name="ram", settings=RamSettings, factory=_ram)


@pytest.fixture
def plugin_module() -> Iterator[str]:
    """A module a plugin's entry point can name, as an installed distribution would have."""
    module = types.ModuleType("weighthouse_test_plugin")
    module.SPEC = RAM  # type: ignore[attr-defined]
    module.WRONG = object()  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


def plugin(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def context(tmp_path: Path) -> DriverContext:
    return DriverContext(data_dir=tmp_path)


def test_builtin_drivers_build_from_their_sections(tmp_path: Path) -> None:
    drivers = DriverRegistry(plugins=[])
    assert drivers.names() == ["local", "memory"]
    local = drivers.create("local", {"root": str(tmp_path / "x")}, context(tmp_path))
    # Small blobs go to a SQLite file in the root by default, up to 64 KiB.
    assert isinstance(local, SmallBlobDriver) and local.max_size == 64 * 1024
    assert isinstance(local.inner, LocalBlobDriver)
    assert local.inner.root == (tmp_path / "x").resolve()
    assert local.db.path == (tmp_path / "x").resolve() / ".small-blobs.sqlite3"
    default = drivers.create("local", {"small_max": "0"}, context(tmp_path))
    assert isinstance(default, LocalBlobDriver)
    assert default.root == (tmp_path / "blobs").resolve()
    assert isinstance(drivers.create("memory", {}, context(tmp_path)), MemoryBlobDriver)


@pytest.mark.parametrize("spec", builtin_specs(), ids=lambda s: s.name)
def test_every_builtin_spec_refuses_unknown_keys(spec: DriverSpec[BaseModel]) -> None:
    with pytest.raises(BlobDriverConfigError, match="no_such_key"):
        spec.create({"no_such_key": "1"}, DriverContext(data_dir=Path("/nonexistent")))


def test_unknown_names_and_bad_sections_are_config_errors(tmp_path: Path) -> None:
    drivers = DriverRegistry(plugins=[])
    with pytest.raises(BlobDriverConfigError, match="known: local, memory"):
        drivers.create("ftp", {}, context(tmp_path))
    with pytest.raises(BlobDriverConfigError, match=r"'memory'.*root"):
        drivers.create("memory", {"root": "/x"}, context(tmp_path))
    with pytest.raises(BlobDriverConfigError, match="section of keys") as caught:
        drivers.create("local", "hunter2", context(tmp_path))
    assert "hunter2" not in str(caught.value)


def test_a_plugin_loads_from_its_entry_point_and_validates_its_section(
    tmp_path: Path, plugin_module: str
) -> None:
    drivers = DriverRegistry(plugins=[plugin("ram", f"{plugin_module}:SPEC")])
    assert drivers.names() == ["local", "memory", "ram"]
    assert drivers.create("ram", {"capacity": "5"}, context(tmp_path)).name == "ram-5"
    with pytest.raises(BlobDriverConfigError, match="capacity"):
        drivers.create("ram", {"capacity": "many"}, context(tmp_path))


def test_the_installed_entry_points_are_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plugin_module: str
) -> None:
    seen: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        seen.append(group)
        return [plugin("ram", f"{plugin_module}:SPEC")]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    assert "ram" in DriverRegistry().names()
    assert seen == [GROUP]


def test_an_entry_point_that_is_not_a_spec_of_its_name_is_refused(
    tmp_path: Path, plugin_module: str
) -> None:
    odd = plugin("odd", f"{plugin_module}:WRONG")
    renamed = plugin("renamed", f"{plugin_module}:SPEC")
    drivers = DriverRegistry(plugins=[odd, renamed])
    for name in ("odd", "renamed"):
        with pytest.raises(BlobDriverConfigError, match="not a DriverSpec"):
            drivers.create(name, {}, context(tmp_path))


def test_a_name_registered_twice_is_refused() -> None:
    with pytest.raises(BlobDriverConfigError, match="'local' is registered twice"):
        DriverRegistry(plugins=[plugin("local", "a:B")])
    with pytest.raises(BlobDriverConfigError, match="'s3' is registered twice"):
        DriverRegistry(plugins=[plugin("s3", "a:B"), plugin("s3", "c:D")])
    with pytest.raises(BlobDriverConfigError, match="'ram' is registered twice"):
        DriverRegistry(builtins=[RAM, RAM], plugins=[])


def test_the_same_plugin_seen_twice_is_not_a_clash() -> None:
    assert "s3" in DriverRegistry(plugins=[plugin("s3", "a:B"), plugin("s3", "a:B")]).names()


# --- from the environment, through the composition root -------------------------------------


def driver_of(settings: Settings) -> BlobDriver:
    store = create_blob_store(settings)
    assert isinstance(store, ContentBlobStore)
    assert isinstance(store.driver, CheckedDriver)
    inner = store.driver.inner
    # The local driver comes behind its small-blob file (see the test above).
    return inner.inner if isinstance(inner, SmallBlobDriver) else inner


def test_the_environment_picks_the_driver_and_fills_its_section(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_DATA_DIR", str(tmp_path / "data"))
    default = driver_of(Settings())
    assert isinstance(default, LocalBlobDriver)
    assert default.root == (tmp_path / "data" / "blobs").resolve()

    monkeypatch.setenv("WEIGHTHOUSE_BLOBS__LOCAL__ROOT", str(tmp_path / "sectioned"))
    sectioned = driver_of(Settings())
    assert isinstance(sectioned, LocalBlobDriver)
    assert sectioned.root == (tmp_path / "sectioned").resolve()

    monkeypatch.setenv("WEIGHTHOUSE_BLOBS__DRIVER", "memory")
    monkeypatch.delenv("WEIGHTHOUSE_BLOBS__LOCAL__ROOT")
    assert isinstance(driver_of(Settings()), MemoryBlobDriver)


def test_the_old_root_setting_still_works_and_the_section_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_BLOBS__ROOT", str(tmp_path / "alias"))
    aliased = driver_of(Settings())
    assert isinstance(aliased, LocalBlobDriver)
    assert aliased.root == (tmp_path / "alias").resolve()
    monkeypatch.setenv("WEIGHTHOUSE_BLOBS__LOCAL__ROOT", str(tmp_path / "section"))
    both = driver_of(Settings())
    assert isinstance(both, LocalBlobDriver)
    assert both.root == (tmp_path / "section").resolve()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEIGHTHOUSE_BLOBS__DRIVER": "s4"}, "unknown blob driver 's4'"),
        ({"WEIGHTHOUSE_BLOBS__LOCAL__ROOTT": "/x"}, "roott"),
        ({"WEIGHTHOUSE_BLOBS__DRIVER": "memory", "WEIGHTHOUSE_BLOBS__MEMORY__SIZE": "1"}, "size"),
    ],
)
def test_a_careless_operator_gets_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_DATA_DIR", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        create_blob_store(Settings())
