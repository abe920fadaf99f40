"""The authorisation matrix: every route of the app, the rule that guards it, and how to call it.

``MATRIX`` maps each ``(method, path template)`` of the app's route table to an :class:`Entry`:
a *category* (the rule of :mod:`weighthouse.domain.access` that guards the route), the status a
caller who passes the rule gets (``ok``), and a recipe (which target to set up, the path
parameters, the body). ``test_authz_matrix.py`` fails when a route has no entry, or an entry
names no route, so a new route cannot ship without its row here.

The expected status of a cell is ``CATEGORIES[entry.category][principal]``, with ``OK`` replaced
by ``entry.ok`` and ``entry.overrides`` applied last. The categories follow the rules in
``access.py``:

* a private repo on which the caller has no role is a 404, never a 403 (it does not leak);
* lacking a higher role is a 401 for anonymous callers and a 403 for everyone else;
* a read-scoped credential only reads; a token restricted to another repo has no more than public
  read here (and the target repo is private, so it sees nothing);
* an expired or revoked token is a 401 on every route that reads credentials; routes that read
  none (health, docs, sign-up, sign-in) ignore the header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRINCIPALS = (
    "anonymous",
    "outsider",
    "org_reader",
    "org_writer",
    "org_admin",
    "collaborator",
    "site_admin",
    "read_token",
    "restricted_token",
    "expired_token",
    "revoked_token",
)
"""Who calls. ``collaborator`` has the ``read`` role on every target repo and bucket (and is in
no organisation); ``read_token`` is a read-scoped token of the org writer; ``restricted_token``
is a write-scoped token of the org admin restricted to ``acme/other``; the expired and revoked
tokens are write-scoped tokens of the org writer."""

OK = "ok"
"""Placeholder for the entry's success status."""

# Placeholders in recipes, filled in by the test for each cell.
UNIQUE = "<unique>"  # a fresh valid name
PASSWORD = "<password>"  # the password every principal's user (and the sign-in user) has
SIGNIN_USER = "<signin-user>"  # a user with that password, used by nothing else
BLOB_SHA256 = "<blob-sha256>"  # a blob already in the store
BLOB_SIZE = "<blob-size>"
SHARED_REPO = "<shared-repo>"  # namespace/name of the shared private model

_EXPIRED = {"expired_token": 401, "revoked_token": 401}

CATEGORIES: dict[str, dict[str, int | str]] = {
    # No credentials are read at all: every caller, bad tokens included, gets the page.
    "public": dict.fromkeys(PRINCIPALS, OK),
    # Anyone, but credentials that are presented are checked.
    "anyone": {**dict.fromkeys(PRINCIPALS, OK), **_EXPIRED},
    # Any signed-in user, any scope.
    "user": {**dict.fromkeys(PRINCIPALS, OK), "anonymous": 401, **_EXPIRED},
    # Any signed-in user with a credential that may write.
    "user-write": {
        **dict.fromkeys(PRINCIPALS, OK),
        "anonymous": 401,
        "read_token": 403,
        **_EXPIRED,
    },
    "site-admin": {
        **dict.fromkeys(PRINCIPALS, 403),
        "anonymous": 401,
        "site_admin": OK,
        **_EXPIRED,
    },
    # Acting on a token or access key of the org writer: its owner (not read-only) and site
    # admins; everyone else is told it does not exist, so ids cannot be probed.
    "token-owner": {
        **dict.fromkeys(PRINCIPALS, 404),
        "anonymous": 401,
        "org_writer": OK,
        "read_token": 403,
        "site_admin": OK,
        **_EXPIRED,
    },
    # A job of the org writer: its owner and site admins; everyone else is told it does not
    # exist, so job ids cannot be probed. Read-only credentials read it but may not cancel it.
    "job-owner": {
        **dict.fromkeys(PRINCIPALS, 404),
        "anonymous": 401,
        "org_writer": OK,
        "read_token": OK,
        "site_admin": OK,
        **_EXPIRED,
    },
    # Queuing a job that reads the shared private repo: readers of it with a writing credential.
    "job-submit": {
        "anonymous": 401,
        "outsider": 404,
        "org_reader": OK,
        "org_writer": OK,
        "org_admin": OK,
        "collaborator": OK,
        "site_admin": OK,
        "read_token": 403,
        "restricted_token": 404,
        **_EXPIRED,
    },
    # Organisation ``acme``: non-members are told it has no members list (404).
    "org-read": {
        "anonymous": 401,
        "outsider": 404,
        "org_reader": OK,
        "org_writer": OK,
        "org_admin": OK,
        "collaborator": 404,
        "site_admin": OK,
        "read_token": OK,
        "restricted_token": 403,
        **_EXPIRED,
    },
    "org-admin": {
        "anonymous": 401,
        "outsider": 404,
        "org_reader": 403,
        "org_writer": 403,
        "org_admin": OK,
        "collaborator": 404,
        "site_admin": OK,
        "read_token": 403,
        "restricted_token": 403,
        **_EXPIRED,
    },
    # Creating a repo in the namespace ``acme``.
    "namespace-write": {
        "anonymous": 401,
        "outsider": 403,
        "org_reader": 403,
        "org_writer": OK,
        "org_admin": OK,
        "collaborator": 403,
        "site_admin": OK,
        "read_token": 403,
        "restricted_token": 403,
        **_EXPIRED,
    },
    # A private repo (or bucket) in ``acme``.
    "repo-read": {
        "anonymous": 404,
        "outsider": 404,
        "org_reader": OK,
        "org_writer": OK,
        "org_admin": OK,
        "collaborator": OK,
        "site_admin": OK,
        "read_token": OK,
        "restricted_token": 404,
        **_EXPIRED,
    },
    "repo-write": {
        "anonymous": 404,
        "outsider": 404,
        "org_reader": 403,
        "org_writer": OK,
        "org_admin": OK,
        "collaborator": 403,
        "site_admin": OK,
        "read_token": 403,
        "restricted_token": 404,
        **_EXPIRED,
    },
    "repo-admin": {
        "anonymous": 404,
        "outsider": 404,
        "org_reader": 403,
        "org_writer": 403,
        "org_admin": OK,
        "collaborator": 403,
        "site_admin": OK,
        "read_token": 403,
        "restricted_token": 404,
        **_EXPIRED,
    },
}

TARGETS = (
    "none",
    "org",  # the organisation acme
    "shared_repo",  # the private model acme/<target>, with dir/a.txt on main
    "fresh_repo",  # a new private model in acme per cell, with branch 'feature' and tag 'v0.1'
    "shared_bucket",  # the private bucket acme/<bucket>, with object 'k'
    "fresh_bucket",  # a new private bucket in acme per cell, with object 'k'
    "fresh_user",  # a new user per cell (in no organisation)
    "fresh_member",  # a new user per cell, reader in acme
    "fresh_writer_token",  # a new token of the org writer per cell
    "fresh_writer_access_key",  # a new S3 access key of the org writer per cell
    "fresh_writer_job",  # a new queued inspect job of the org writer on the shared repo per cell
)


@dataclass(frozen=True)
class Entry:
    category: str
    ok: int
    target: str = "none"
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters beyond those the target provides."""
    body: Any = None
    """A JSON body (dict), raw bytes, or ``None``."""
    overrides: dict[str, int] = field(default_factory=dict)
    note: str = ""


_MODEL = {"kind": "models", "revision": "main"}
_NEW_REPO = {"type": "model", "namespace": "acme", "name": UNIQUE, "private": True}
_COMMIT = {
    "message": "add a copy",
    "operations": [{"op": "add", "path": "copy.txt", "sha256": BLOB_SHA256, "size": BLOB_SIZE}],
}

_JOB_INPUTS = {"model": {"repo": SHARED_REPO}}
_JOB = {"target": "fresh_writer_job"}

MATRIX: dict[tuple[str, str], Entry] = {
    # --- jobs and the worker API (the test server runs no workers: jobs stay queued) ---------
    ("GET", "/api/jobs/apps"): Entry("user", 200),
    ("GET", "/api/jobs"): Entry("user", 200),
    ("POST", "/api/jobs"): Entry(
        "job-submit",
        201,
        body={"app": "inspect", "inputs": _JOB_INPUTS, "params": {"result_files": False}},
    ),
    ("GET", "/api/jobs/{job_id}"): Entry("job-owner", 200, **_JOB),
    ("GET", "/api/jobs/{job_id}/logs"): Entry("job-owner", 200, **_JOB),
    ("GET", "/api/jobs/{job_id}/results"): Entry(
        "job-owner", 404, **_JOB, note="a queued job has no result commit yet"
    ),
    ("POST", "/api/jobs/{job_id}/cancel"): Entry(
        "job-owner", 200, **_JOB, overrides={"read_token": 403}
    ),
    ("POST", "/apps/{app}/start"): Entry(
        "job-submit",
        200,
        params={"app": "inspect"},
        body={"inputs": _JOB_INPUTS, "parameters": {"result_files": False}},
    ),
    ("GET", "/apps/{app}/qsizes"): Entry("user", 200, params={"app": "inspect"}),
    ("GET", "/apps/{app}/monitor"): Entry("user", 200, params={"app": "inspect"}),
    ("GET", "/apps/{app}/{tracking_id}/status"): Entry("job-owner", 200, **_JOB),
    ("GET", "/apps/{app}/{tracking_id}/result"): Entry(
        "job-owner", 404, **_JOB, note="a queued job has no result commit yet"
    ),
    ("POST", "/apps/{app}/{tracking_id}/cancel"): Entry(
        "job-owner", 200, **_JOB, overrides={"read_token": 403}
    ),
    # --- docs and health ---------------------------------------------------------------------
    **{
        (method, path): Entry("public", 200)
        for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
        for method in ("GET", "HEAD")
    },
    ("GET", "/"): Entry("public", 307, note="redirects to the web pages at /ui/"),
    ("GET", "/healthz"): Entry("public", 200),
    ("GET", "/readyz"): Entry("public", 200),
    # --- accounts ----------------------------------------------------------------------------
    ("GET", "/api/whoami"): Entry("anyone", 200),
    ("POST", "/api/signup"): Entry("public", 201, body={"name": UNIQUE, "password": PASSWORD}),
    ("POST", "/api/signin"): Entry("public", 200, body={"name": SIGNIN_USER, "password": PASSWORD}),
    ("POST", "/api/signout"): Entry(
        "user", 400, note="every principal here holds an API token: 'revoke API tokens instead'"
    ),
    ("PUT", "/api/password"): Entry(
        "user-write",
        204,
        body={"current": PASSWORD, "new": PASSWORD},
        overrides={"restricted_token": 403},
        note="restricted tokens cannot change the password (they could escape the restriction)",
    ),
    ("POST", "/api/users"): Entry("site-admin", 201, body={"name": UNIQUE}),
    ("GET", "/api/users"): Entry("site-admin", 200),
    ("PATCH", "/api/users/{name}"): Entry(
        "site-admin", 200, target="fresh_user", body={"disabled": True}
    ),
    ("POST", "/api/tokens"): Entry(
        "user",
        201,
        body={"name": "matrix", "scope": "read"},
        overrides={"restricted_token": 403},
        note="a restricted token can only mint narrower (restricted) tokens",
    ),
    ("GET", "/api/tokens"): Entry("user", 200),
    ("DELETE", "/api/tokens/{token_id}"): Entry("token-owner", 204, target="fresh_writer_token"),
    ("GET", "/api/audit"): Entry("site-admin", 200),
    # --- S3 access keys ----------------------------------------------------------------------
    ("POST", "/api/access-keys"): Entry(
        "user",
        201,
        body={"name": "matrix", "scope": "read"},
        overrides={"restricted_token": 403},
        note="a restricted token can only mint keys restricted within its own restrictions",
    ),
    ("GET", "/api/access-keys"): Entry("user", 200),
    ("DELETE", "/api/access-keys/{key_id}"): Entry(
        "token-owner", 204, target="fresh_writer_access_key"
    ),
    # --- organisations -----------------------------------------------------------------------
    ("POST", "/api/orgs"): Entry(
        "user-write",
        201,
        body={"name": UNIQUE},
        overrides={"restricted_token": 403},
        note="restricted tokens cannot create organisations",
    ),
    ("GET", "/api/orgs"): Entry("anyone", 200),
    ("GET", "/api/orgs/{name}"): Entry("anyone", 200, target="org", note="public by name"),
    ("GET", "/api/orgs/{name}/members"): Entry("org-read", 200, target="org"),
    ("PUT", "/api/orgs/{name}/members/{user}"): Entry(
        "org-admin", 200, target="fresh_user", params={"name": "acme"}, body={"role": "read"}
    ),
    ("DELETE", "/api/orgs/{name}/members/{user}"): Entry("org-admin", 204, target="fresh_member"),
    # --- collaborators -----------------------------------------------------------------------
    ("GET", "/api/{kind}/{namespace}/{name}/collaborators"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("PUT", "/api/{kind}/{namespace}/{name}/collaborators/{user}"): Entry(
        "repo-admin",
        200,
        target="fresh_repo",
        params={**_MODEL, "user": "<outsider>"},
        body={"role": "read"},
    ),
    ("DELETE", "/api/{kind}/{namespace}/{name}/collaborators/{user}"): Entry(
        "repo-admin", 204, target="fresh_repo", params={**_MODEL, "user": "<collaborator>"}
    ),
    # --- buckets -----------------------------------------------------------------------------
    ("PUT", "/api/buckets/{namespace}/{name}/objects/{key:path}"): Entry(
        "repo-write", 201, target="shared_bucket", params={"key": "new/" + UNIQUE}, body=b"bytes"
    ),
    ("GET", "/api/buckets/{namespace}/{name}/objects/{key:path}"): Entry(
        "repo-read", 200, target="shared_bucket", params={"key": "k"}
    ),
    ("HEAD", "/api/buckets/{namespace}/{name}/objects/{key:path}"): Entry(
        "repo-read", 200, target="shared_bucket", params={"key": "k"}
    ),
    ("DELETE", "/api/buckets/{namespace}/{name}/objects/{key:path}"): Entry(
        "repo-write", 204, target="fresh_bucket", params={"key": "k"}
    ),
    ("GET", "/api/buckets/{namespace}/{name}/objects"): Entry(
        "repo-read", 200, target="shared_bucket"
    ),
    # --- repos -------------------------------------------------------------------------------
    ("POST", "/api/repos"): Entry("namespace-write", 201, body=_NEW_REPO),
    ("GET", "/api/repos"): Entry("anyone", 200),
    ("GET", "/api/{kind}/{namespace}/{name}"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("PATCH", "/api/{kind}/{namespace}/{name}"): Entry(
        "repo-admin", 200, target="fresh_repo", params=_MODEL, body={"description": "changed"}
    ),
    ("DELETE", "/api/{kind}/{namespace}/{name}"): Entry(
        "repo-admin", 204, target="fresh_repo", params=_MODEL
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/move"): Entry(
        "repo-admin", 200, target="fresh_repo", params=_MODEL, body={"name": "m" + UNIQUE}
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/access-requests"): Entry(
        "repo-read", 400, target="shared_repo", params=_MODEL, note="the target is not gated"
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/access-requests"): Entry(
        "repo-admin", 200, target="shared_repo", params=_MODEL
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/discussions"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/discussions/{num}"): Entry(
        "repo-read", 404, target="shared_repo", params={**_MODEL, "num": "1"}, note="none opened"
    ),
    ("PUT", "/api/{kind}/{namespace}/{name}/access-requests/{user}"): Entry(
        "repo-admin",
        404,
        target="fresh_repo",
        params={**_MODEL, "user": UNIQUE},
        body={"status": "rejected"},
        note="no such user",
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/refs"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/branches"): Entry(
        "repo-write", 201, target="fresh_repo", params=_MODEL, body={"name": "b" + UNIQUE}
    ),
    ("DELETE", "/api/{kind}/{namespace}/{name}/branches/{branch}"): Entry(
        "repo-write", 204, target="fresh_repo", params={**_MODEL, "branch": "feature"}
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/tags"): Entry(
        "repo-write", 201, target="fresh_repo", params=_MODEL, body={"name": "v1.0.0"}
    ),
    ("DELETE", "/api/{kind}/{namespace}/{name}/tags/{tag}"): Entry(
        "repo-admin", 204, target="fresh_repo", params={**_MODEL, "tag": "v0.1"}
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/commits/{revision}"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/tree/{revision}"): Entry(
        "repo-read", 200, target="shared_repo", params=_MODEL
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/tree/{revision}/{path:path}"): Entry(
        "repo-read", 200, target="shared_repo", params={**_MODEL, "path": "dir"}
    ),
    ("GET", "/api/{kind}/{namespace}/{name}/resolve/{revision}/{path:path}"): Entry(
        "repo-read", 200, target="shared_repo", params={**_MODEL, "path": "dir/a.txt"}
    ),
    ("HEAD", "/api/{kind}/{namespace}/{name}/resolve/{revision}/{path:path}"): Entry(
        "repo-read", 200, target="shared_repo", params={**_MODEL, "path": "dir/a.txt"}
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/blobs"): Entry(
        "repo-write", 201, target="fresh_repo", params=_MODEL, body=b"a blob"
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/blobs/check"): Entry(
        "repo-write",
        200,
        target="fresh_repo",
        params=_MODEL,
        body={"blobs": [{"sha256": BLOB_SHA256, "size": BLOB_SIZE}]},
    ),
    ("PUT", "/api/{kind}/{namespace}/{name}/upload/{revision}/{path:path}"): Entry(
        "repo-write", 201, target="fresh_repo", params={**_MODEL, "path": "new.txt"}, body=b"x"
    ),
    ("POST", "/api/{kind}/{namespace}/{name}/commit/{revision}"): Entry(
        "repo-write", 201, target="fresh_repo", params=_MODEL, body=_COMMIT
    ),
}


def expected(entry: Entry, principal: str) -> int:
    """The status ``principal`` must get from the route of ``entry``."""
    if principal in entry.overrides:
        return entry.overrides[principal]
    status = CATEGORIES[entry.category][principal]
    return entry.ok if status == OK else int(status)
