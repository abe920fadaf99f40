"""The schema revision read without alembic agrees with alembic's, and the migrations follow
the naming rule that lets it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import alembic_config, upgrade
from weighthouse.metadata.schema_revision import (
    MIGRATION_FILE,
    VERSIONS,
    code_head,
    existing_revision,
    recorded_revision,
)

pytestmark = pytest.mark.integration

_REVISION = re.compile(r'^revision: str = "(\d{4})"$', re.MULTILINE)
_DOWN = re.compile(r"^down_revision: .* = (None|\"(\d{4})\")$", re.MULTILINE)


def test_every_migration_is_numbered_and_revises_the_one_before() -> None:
    files = sorted(p for p in VERSIONS.iterdir() if p.suffix == ".py")
    assert files
    previous = None
    for path in files:
        match = MIGRATION_FILE.fullmatch(path.name)
        assert match, f"{path.name}: migrations are named NNNN_<what>.py"
        text = path.read_text()
        revision = _REVISION.search(text)
        down = _DOWN.search(text)
        assert revision and revision.group(1) == match.group(1), path.name
        assert down is not None, path.name
        assert down.group(2) == previous, f"{path.name} must revise {previous}"
        previous = match.group(1)


def test_the_code_head_is_alembics_head() -> None:
    assert code_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_catalog_records_no_revision_until_migrated_then_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert existing_revision(url) is None
    assert not (tmp_path / "catalog.db").exists(), "asking created an empty catalog"
    engine = create_engine_for(url)
    try:
        assert recorded_revision(engine) is None
        upgrade(engine)
        assert recorded_revision(engine) == code_head()
    finally:
        engine.dispose()
    assert existing_revision(url) == code_head()
