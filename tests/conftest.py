"""Options of the whole suite; pytest reads them before it collects the folders below."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server-workers",
        default="1",
        help=(
            "server processes of the live servers in the acceptance tests: a count (default 1),"
            " or counts separated by commas, such as 2,1: every test runs with the first, and"
            " a test marked server_workers(...) once with each of them it names"
        ),
    )
