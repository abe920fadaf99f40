"""No front-end module touches the file system itself.

import-linter forbids the file-system modules (``os``, ``io``, ``pathlib``, ``shutil``, ...) in
``weighthouse.frontends``, but an import graph cannot see the built-in ``open()``, nor which
names a module takes from a package it may import (``anyio.Path``, ``anyio.open_file``,
starlette's ``FileResponse`` and ``StaticFiles``), nor a dynamic ``__import__``. This test reads
the source of every front-end module and fails on those. A path the blob reader offers for a
zero-copy send is handed to the ASGI server as data; the front-end never opens it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import weighthouse.frontends

pytestmark = pytest.mark.unit

FRONTENDS = Path(weighthouse.frontends.__file__).parent
FORBIDDEN_CALLS = {"open", "__import__", "exec", "eval"}
FORBIDDEN_NAMES = {
    "Path",
    "PurePath",
    "open_file",
    "wrap_file",
    "FileResponse",
    "StaticFiles",
    "import_module",
    "sendfile",
}


def modules() -> list[Path]:
    return sorted(FRONTENDS.rglob("*.py"))


def violations(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_CALLS
        ):
            found.append(f"line {node.lineno}: {node.func.id}()")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names} & FORBIDDEN_NAMES
            if names or (node.module or "").startswith("starlette.staticfiles"):
                found.append(f"line {node.lineno}: from {node.module} import {sorted(names)}")
    return found


def test_the_front_ends_are_all_checked() -> None:
    names = {p.relative_to(FRONTENDS).as_posix() for p in modules()}
    assert {"downloads.py", "rest/files.py", "rest/buckets.py"} <= names


@pytest.mark.parametrize("module", modules(), ids=lambda p: p.relative_to(FRONTENDS).as_posix())
def test_no_front_end_module_opens_files(module: Path) -> None:
    assert violations(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "data = open('/etc/passwd', 'rb').read()",
        "from anyio import Path",
        "import anyio\nf = anyio.open_file('x')",
        "from starlette.responses import FileResponse",
        "from starlette.staticfiles import StaticFiles as S",
        "mod = __import__('os')",
        "import importlib\nos = importlib.import_module('os')",
    ],
)
def test_the_check_catches_what_imports_alone_would_not(source: str) -> None:
    assert violations(source) != []


def test_handing_a_path_to_the_server_is_allowed() -> None:
    source = "await send({'type': 'http.response.pathsend', 'path': local.path})"
    assert violations(f"async def f():\n    {source}\n") == []
