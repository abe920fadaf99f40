"""The shapes of names, refs and paths as the OpenAPI document states them.

Each pattern admits only values that the domain's checks (:mod:`weighthouse.domain.names`)
accept, so a client or a fuzzer that follows the document never gets ``invalid_name`` for a
value the document allowed. They are a little stricter than the checks where a regular
expression without look-arounds cannot say the rule exactly (``a.-b`` is a valid name the
pattern does not admit). Documentation only: the domain still decides.
"""

from __future__ import annotations

from typing import Any

from weighthouse.domain.names import NAME_MAX, PATH_MAX_BYTES, REF_MAX

_PART = r"[A-Za-z0-9_]+"
NAME: dict[str, Any] = {
    "type": "string",
    "pattern": rf"^{_PART}(?:[-.]{_PART})*$",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "description": "ASCII letters, digits, '_', '-' and '.', not at either end nor doubled",
}
_REF_PART = r"[A-Za-z0-9_+-]+"
REF: dict[str, Any] = {
    "type": "string",
    "pattern": rf"^[A-Za-z0-9]{_REF_PART[:-1]}*(?:\.{_REF_PART})*$",
    "minLength": 1,
    "maxLength": REF_MAX,
    "description": "a branch or tag name",
}
REVISION: dict[str, Any] = {
    **REF,
    "description": "a branch, a tag, a 40-digit commit id, or latest (the highest version)",
}
_SEGMENT = r"[A-Za-z0-9_+-][A-Za-z0-9_.+-]*"
PATH: dict[str, Any] = {
    "type": "string",
    "pattern": rf"^{_SEGMENT}(?:/{_SEGMENT})*$",
    "minLength": 1,
    "maxLength": PATH_MAX_BYTES,
    "description": "a relative file path in the repo",
}

COMMIT: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9a-f]{40}$",
    "description": "a commit id: 40 lowercase hex digits",
}
SHA256: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9a-f]{64}$",
    "description": "a SHA-256: 64 lowercase hex digits",
}
PASSWORD: dict[str, Any] = {"minLength": 8, "maxLength": 1024}

# Path parameters, by name, whose values are names, refs or paths.
PARAMETERS: dict[str, dict[str, Any]] = {
    "namespace": NAME,
    "name": NAME,
    "user": NAME,
    "branch": REF,
    "revision": REVISION,
    "path": PATH,
}
# Query parameters likewise (a tree's ``path`` query may be empty: the root).
QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "namespace": NAME,
    "user": NAME,
    "parent_commit": COMMIT,
}
