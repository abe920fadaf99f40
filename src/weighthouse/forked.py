"""One call run in a short-lived forked child, for work whose imports the caller must not keep.

A server that migrates its catalog on start would otherwise carry alembic and Mako (with
Pygments) for as long as it serves: 7 MB of a one-process server's 148 MB at rest. A forked
child starts at once (no new interpreter, the caller's modules are already loaded), does the
work, and takes what it imported with it when it exits.

The child shares the parent's open files, so the caller forks before it opens connections the
child could disturb, and the child never returns into the caller's code: it leaves with
``os._exit`` whatever happens.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class ForkedCallError(RuntimeError):
    """The child ended without saying how (killed, or its error could not be passed back)."""


def call_forked(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``function(*args, **kwargs)`` in a forked child, wait for it and return what it
    returned (which must pickle).

    Raises what the child raised (the same class and message, its traceback added as a note),
    or :class:`ForkedCallError` if it was killed or its error or result could not be passed
    back. Where the platform cannot fork, the call runs in this process.
    """
    if not hasattr(os, "fork"):
        return function(*args, **kwargs)
    # Output buffered before the fork would otherwise be written twice, once by each process.
    sys.stdout.flush()
    sys.stderr.flush()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        _run_child(writer, function, *args, **kwargs)
    os.close(writer)
    try:
        with os.fdopen(reader, "rb") as pipe:
            report = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        result: T = pickle.loads(report)  # noqa: S301 - written by our own child, through a pipe
        return result
    if report:
        raise pickle.loads(report)  # noqa: S301 - written by our own child, through a pipe
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise ForkedCallError(f"the process running {_name(function)} was killed by {name}")
    raise ForkedCallError(
        f"the process running {_name(function)} ended with exit code {os.WEXITSTATUS(status)}"
    )


def _run_child(
    writer: int, function: Callable[P, object], *args: P.args, **kwargs: P.kwargs
) -> None:
    code = 1
    try:
        try:
            result = pickle.dumps(function(*args, **kwargs))
        except BaseException as exc:  # everything goes back to the parent, which decides
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(_portable(exc, function))
        else:
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(result)
            code = 0
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # Never back into the caller's code, nor its atexit handlers: they belong to the parent.
        os._exit(code)


def _portable(exc: BaseException, function: Callable[..., object]) -> bytes:
    """``exc`` pickled with the child's traceback as a note, or a :class:`ForkedCallError`
    naming it when it does not survive pickling."""
    where = "".join(traceback.format_exception(exc)).rstrip()
    try:
        exc.add_note(f"in the process running {_name(function)}:\n{where}")
        data = pickle.dumps(exc)
        pickle.loads(data)  # noqa: S301 - our own bytes: will the parent read them?
        return data
    except Exception:
        return pickle.dumps(ForkedCallError(f"{_name(function)} failed: {where}"))


def _name(function: Callable[..., object]) -> str:
    return getattr(function, "__qualname__", repr(function))
