"""A call run in a forked child: it happens in another process, the caller waits for it, and
what went wrong there comes back as the same error."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

from weighthouse.domain.errors import StorageError
from weighthouse.forked import ForkedCallError, call_forked


def _record_pid(file: Path) -> None:
    file.write_text(str(os.getpid()))


def _fail() -> None:
    raise StorageError("the catalog is unreachable", attempts=3)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _import_from(folder: Path, name: str) -> None:
    sys.path.insert(0, str(folder))
    importlib.import_module(name)


def _unpicklable_error() -> None:
    class LocalError(Exception):
        pass

    raise LocalError("a class defined here cannot be pickled")


def test_the_call_runs_in_another_process_and_is_waited_for(tmp_path: Path) -> None:
    file = tmp_path / "pid"
    call_forked(_record_pid, file)
    assert int(file.read_text()) not in (os.getpid(), 0)


def test_what_the_child_imports_stays_in_the_child(tmp_path: Path) -> None:
    name = f"forked_probe_{uuid.uuid4().hex}"  # a module no other test could have loaded
    imported = tmp_path / "imported"
    (tmp_path / f"{name}.py").write_text(f"open({str(imported)!r}, 'w').close()\n")
    call_forked(_import_from, tmp_path, name)
    assert imported.exists()
    assert name not in sys.modules


def test_the_childs_error_comes_back_with_its_class_message_and_traceback() -> None:
    with pytest.raises(StorageError) as raised:
        call_forked(_fail)
    assert raised.value.message == "the catalog is unreachable"
    assert raised.value.fields == {"attempts": 3}
    assert any("_fail" in note for note in raised.value.__notes__)


def test_a_killed_child_is_named() -> None:
    with pytest.raises(ForkedCallError, match="_kill_self was killed by SIGKILL"):
        call_forked(_kill_self)


def test_an_error_that_cannot_be_pickled_is_reported_by_name() -> None:
    with pytest.raises(ForkedCallError, match="LocalError: a class defined here cannot be pickled"):
        call_forked(_unpicklable_error)


def _answer(base: int, *, plus: int) -> dict[str, int]:
    return {"pid": os.getpid(), "sum": base + plus}


def test_what_the_child_returns_comes_back() -> None:
    got = call_forked(_answer, 40, plus=2)
    assert got["sum"] == 42
    assert got["pid"] != os.getpid()
    assert call_forked(_record_pid, Path(os.devnull)) is None


def test_a_result_that_cannot_be_passed_back_is_an_error() -> None:
    with pytest.raises(Exception, match="pickle"):
        call_forked(lambda: threading_lock())


def threading_lock() -> object:
    import threading

    return threading.Lock()
