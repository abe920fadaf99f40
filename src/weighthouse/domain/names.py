"""The naming rules, written once.

* **Names** of users, namespaces and repos follow the Hugging Face repo-id rule: ASCII letters,
  digits, ``-``, ``_`` and ``.``; 1 to 96 characters; no ``--`` or ``..``; no leading or trailing
  ``-`` or ``.``; no ``.git`` suffix.
* **Paths** in versioned repos are relative POSIX paths of at most 1024 UTF-8 bytes: no leading
  or trailing ``/``, no empty, ``.``, ``..`` or ``.git`` component, no backslash, no control
  character.
* **Ref names** (branches and tags): 1 to 128 characters in one or more ``/``-separated
  components (``feature/x``, as git and the Hub allow), each of ASCII letters, digits, ``.``,
  ``_``, ``-`` and ``+``, starting with a letter or digit, not ending with ``.`` or ``.lock``;
  no ``..``; not starting with ``refs/`` (the Hub's spelling of full ref paths); not 40 hex
  digits (that is a commit id); not ``latest`` (that names the newest version).
* **Object keys** in buckets are any UTF-8 string of 1 to 1024 bytes, stored verbatim. They never
  become file-system paths, so ``../x`` is an ordinary key.
"""

from __future__ import annotations

import re

from weighthouse.domain.errors import InvalidNameError, InvalidPathError, InvalidRevisionError

NAME_MAX = 96
PATH_MAX_BYTES = 1024
KEY_MAX_BYTES = 1024
REF_MAX = 128
LATEST = "latest"

_NAME = re.compile(r"[A-Za-z0-9_.\-]+", re.ASCII)
_PR_REF = re.compile(r"refs/pr/[1-9][0-9]{0,8}", re.ASCII)
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-]*(/[A-Za-z0-9][A-Za-z0-9._+\-]*)*", re.ASCII)
_COMMIT_ID = re.compile(r"[0-9a-f]{40}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def folded_name(name: str) -> str:
    """The form in which user and organisation names must be unique: lower case (names are
    ASCII), so nobody can take ``Alice`` or ``ALICE`` beside ``alice`` and pass for them."""
    return name.lower()


def check_name(name: str, *, what: str = "name") -> str:
    """Return ``name`` unchanged, or raise :class:`InvalidNameError` saying which rule it breaks."""
    problem = _name_problem(name)
    if problem:
        raise InvalidNameError(f"invalid {what} {name[:120]!r}: {problem}", name=name[:200])
    return name


def _name_problem(name: str) -> str | None:
    if not name:
        return "must not be empty"
    if len(name) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters"
    if not _NAME.fullmatch(name):
        return "may contain only ASCII letters, digits, '-', '_' and '.'"
    if "--" in name or ".." in name:
        return "must not contain '--' or '..'"
    if name[0] in "-." or name[-1] in "-.":
        return "must not start or end with '-' or '.'"
    if name.lower().endswith(".git"):
        return "must not end with '.git'"
    return None


def is_valid_name(name: str) -> bool:
    return _name_problem(name) is None


def check_path(path: str) -> str:
    """Return a repo file path unchanged, or raise :class:`InvalidPathError`."""
    problem = _path_problem(path)
    if problem:
        raise InvalidPathError(f"invalid path {path[:200]!r}: {problem}", path=path[:200])
    return path


def _path_problem(path: str) -> str | None:
    if not path:
        return "must not be empty"
    try:
        size = len(path.encode("utf-8"))
    except UnicodeEncodeError:
        return "must be valid UTF-8"
    if size > PATH_MAX_BYTES:
        return f"must be at most {PATH_MAX_BYTES} bytes"
    if _CONTROL.search(path):
        return "must not contain control characters"
    if "\\" in path:
        return "must not contain a backslash"
    if path.startswith("/"):
        return "must be relative (no leading '/')"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "must not contain empty, '.' or '..' components"
        if part == ".git":
            return "must not contain a '.git' component"
    return None


def split_path(path: str) -> list[str]:
    """The components of a checked path; ``""`` (the root) gives ``[]``."""
    if path == "":
        return []
    return check_path(path).split("/")


def check_folder(path: str) -> str:
    """Like :func:`check_path`, but ``""`` (the root) and a trailing ``/`` are allowed."""
    stripped = path.rstrip("/") if path != "/" else ""
    if stripped == "":
        return ""
    return check_path(stripped)


def check_key(key: str) -> str:
    """Return a bucket object key unchanged, or raise :class:`InvalidPathError`."""
    if not key:
        raise InvalidPathError("invalid key: must not be empty", key="")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidPathError("invalid key: must be valid UTF-8", key=repr(key)[:200]) from None
    if size > KEY_MAX_BYTES:
        raise InvalidPathError(f"invalid key: must be at most {KEY_MAX_BYTES} bytes", key=key[:200])
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: like a key, but may be empty."""
    return check_key(prefix) if prefix else ""


def check_ref_name(name: str) -> str:
    """Return a branch or tag name unchanged, or raise :class:`InvalidNameError`."""
    problem = None
    if not name or len(name) > REF_MAX:
        problem = f"must be 1 to {REF_MAX} characters"
    elif not _REF.fullmatch(name):
        problem = (
            "may contain only '/'-separated parts of ASCII letters, digits, '.', '_', '-' and"
            " '+', each starting with a letter or digit"
        )
    elif ".." in name or any(p.endswith((".", ".lock")) for p in name.split("/")):
        problem = "must not contain '..', and no part may end with '.' or '.lock'"
    elif name.startswith("refs/"):
        problem = "must not start with 'refs/'"
    elif is_commit_id(name):
        problem = "must not look like a commit id"
    elif name == LATEST:
        problem = f"'{LATEST}' is reserved for the newest version"
    if problem:
        raise InvalidNameError(f"invalid ref name {name[:120]!r}: {problem}", name=name[:200])
    return name


def check_revision(revision: str) -> str:
    """A revision to resolve: a ref name, a commit id, ``latest``, or a pull request's branch
    ``refs/pr/<num>`` (a name no user may give a branch of their own)."""
    if revision == LATEST or is_commit_id(revision) or _PR_REF.fullmatch(revision):
        return revision
    try:
        return check_ref_name(revision)
    except InvalidNameError as exc:
        raise InvalidRevisionError(exc.message, revision=revision[:200]) from None


def is_commit_id(value: str) -> bool:
    return bool(_COMMIT_ID.fullmatch(value))
