"""Options of the whole suite; pytest reads them before it collects the folders below."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server-workers",
        default="1",
        help=(
            "server processes of every live server in the acceptance tests: a count (default 1),"
            " or counts separated by commas, such as 1,2, to run each test that uses a live"
            " server once per count in the same run"
        ),
    )
