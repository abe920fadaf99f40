"""``load_settings``: flags over the environment over the TOML file over the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from weighthouse.config_sources import ConfigError, load_settings

pytestmark = pytest.mark.unit

FILE = """
data_dir = "/srv/file"
gc_grace_seconds = 60

[database]
url = "postgresql://file-host/weighthouse"

[server]
host = "0.0.0.0"
port = 9001

[admin]
name = "root"
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WEIGHTHOUSE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "weighthouse.toml"
    path.write_text(FILE)
    return path


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data") and settings.database.url is None
    assert settings.server.port == 8000


def test_the_file_beats_the_defaults(config_file: Path) -> None:
    settings = load_settings(config_file)
    assert settings.data_dir == Path("/srv/file") and settings.gc_grace_seconds == 60
    assert settings.database_url == "postgresql://file-host/weighthouse"
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9001)
    assert settings.admin.name == "root"
    assert settings.server.threads == 4  # a section given in part keeps its other defaults


def test_the_environment_beats_the_file_key_by_key(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_DATABASE__URL", "postgresql://env-host/weighthouse")
    monkeypatch.setenv("WEIGHTHOUSE_SERVER__PORT", "9002")
    settings = load_settings(config_file)
    assert settings.database_url == "postgresql://env-host/weighthouse"
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9002)
    assert settings.data_dir == Path("/srv/file")


def test_flags_beat_the_environment_and_none_means_not_given(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_DATA_DIR", "/srv/env")
    monkeypatch.setenv("WEIGHTHOUSE_SERVER__PORT", "9002")
    settings = load_settings(
        config_file, {"data_dir": Path("/srv/flag"), "server": {"host": None, "port": 9003}}
    )
    assert settings.data_dir == Path("/srv/flag") and settings.server.port == 9003
    assert settings.server.host == "0.0.0.0"
    assert load_settings(config_file, {"data_dir": None}).data_dir == Path("/srv/env")


def test_weighthouse_config_names_the_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_CONFIG", str(config_file))
    assert load_settings().admin.name == "root"
    other = tmp_path / "other.toml"
    other.write_text('[admin]\nname = "other"\n')
    assert load_settings(other).admin.name == "other"  # --config beats the variable


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[databse]\nurl = "postgresql://db/wh"\n', "unknown setting databse"),
        ('[database]\nurls = "postgresql://db/wh"\n', "unknown setting database.urls"),
        ("data_dir = \n", "not valid TOML"),
        ('[server]\nport = "eighty"\n', "server.port"),
        ("gc_grace_seconds = -1\n", "gc_grace_seconds"),
    ],
)
def test_a_bad_file_is_one_clear_line(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as bad:
        load_settings(path)
    assert needle in str(bad.value) and "\n" not in str(bad.value)


def test_a_missing_file_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_a_bad_environment_value_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_SERVER__PORT", "eighty")
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings()


def test_the_redis_job_engine_needs_a_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHTHOUSE_JOBS__ENGINE", "redis")
    with pytest.raises(ConfigError, match=r"jobs\.redis_url"):
        load_settings()
    monkeypatch.setenv("WEIGHTHOUSE_REDIS__URL", "redis://shared:6379/0")
    assert load_settings().jobs_redis_url == "redis://shared:6379/0"
    monkeypatch.setenv("WEIGHTHOUSE_JOBS__REDIS_URL", "redis://jobs:6379/1")
    assert load_settings().jobs_redis_url == "redis://jobs:6379/1"
    monkeypatch.setenv("WEIGHTHOUSE_JOBS__ENGINE", "rabbit")
    with pytest.raises(ConfigError, match="engine"):
        load_settings()
