"""The authorisation matrix: every route of the app x eleven kinds of caller, one expected status
each (see ``authz_matrix.py`` for the entries and the rules they follow).

The app runs **in process**, driven by ``httpx.AsyncClient`` over ``httpx.ASGITransport`` (on a
private event loop, so the tests stay synchronous): the same
``create_app(settings, container)`` a server runs, on a real SQLite catalog and local blob store,
but without a socket, so the ~600 cells take seconds. The wire itself (headers, streaming, the
server process) is covered by the other acceptance tests against a live server.

The world is built once per module through the container's use cases, as the site admin:
organisation ``acme`` (admin, writer and reader members), a private model and a private bucket
in it, a collaborator with the ``read`` role on them, an outsider, and the tokens. Routes that
change something get a fresh target per cell (a new repo, bucket, user, member or token), so
cells never see each other's effects. The expired token is made with an injected clock that is
then moved past its expiry.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.acceptance.authz_matrix import (
    BLOB_SHA256,
    BLOB_SIZE,
    CATEGORIES,
    MATRIX,
    PASSWORD,
    PRINCIPALS,
    SHARED_REPO,
    SIGNIN_USER,
    TARGETS,
    UNIQUE,
    Entry,
    expected,
)
from weighthouse.asgi import create_app
from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import AuthSettings, Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.jobs import JobRequest
from weighthouse.domain.model import RefKind, RepoId, RepoType, Role, Scope

pytestmark = pytest.mark.acceptance

THE_PASSWORD = "correct horse battery staple"
BLOB = b"hello, matrix"


class MovableClock:
    """Wall-clock time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def unique(prefix: str = "n") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def route_keys(app: FastAPI) -> set[tuple[str, str]]:
    """``(method, path template)`` for every route the app serves; a route that is not an
    HTTP route (a mount, a websocket) is listed under ``"?"`` so it still needs an entry."""
    try:  # recent FastAPI keeps included routers nested in app.routes; this flattens them.
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI lists routes flat
        routes = list(app.routes)
    keys: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None) or repr(route)
        # The router matches repo kinds ({kind:repo_kind}) and decodes refs ({revision:ref})
        # itself; the table names plain {kind} and {revision}.
        path = path.replace("{kind:repo_kind}", "{kind}")
        path = re.sub(r"\{(\w+):ref\}", r"{\1}", path)
        methods = getattr(route, "methods", None) or {"?"}
        keys.update((method, path) for method in methods)
    return keys


class InProcess:
    """A synchronous client for an ASGI app, without a socket or a server thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://matrix")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@dataclass
class World:
    container: Container
    client: InProcess
    admin: Principal
    users: dict[str, str]  # role in the world -> user name
    headers: dict[str, dict[str, str]]  # principal -> request headers
    shared_repo: str
    shared_bucket: str
    placeholders: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("matrix") / "data"
    settings = Settings(
        data_dir=data_dir,
        auth=AuthSettings(
            # Limits out of the way: the matrix signs in and up once per principal.
            signin_per_account=100_000,
            signin_per_client=100_000,
            signup_per_client=100_000,
            argon2_memory_kib=8192,
            argon2_time_cost=1,
        ),
    )
    clock = MovableClock()
    container = bootstrap(settings, clock=clock)
    issued = start(container)
    assert issued is not None
    admin = container.authenticator.authenticate(BearerToken(issued.secret))
    container.users.change_password(admin, None, THE_PASSWORD)

    users = {
        role: container.users.create(admin, unique(role[:4]), password=THE_PASSWORD).name
        for role in ("outsider", "org_reader", "org_writer", "org_admin", "collaborator", "signin")
    }
    users["site_admin"] = admin.user.name if admin.user else "admin"

    def token(user: str, scope: Scope = Scope.WRITE, **kwargs: Any) -> str:
        return container.tokens.create(admin, "matrix", scope, for_user=user, **kwargs).secret

    org_admin = container.authenticator.authenticate(BearerToken(token(users["org_admin"])))
    container.orgs.create(org_admin, "acme")
    container.orgs.set_member(org_admin, "acme", users["org_writer"], Role.WRITE)
    container.orgs.set_member(org_admin, "acme", users["org_reader"], Role.READ)
    container.repos.create(admin, RepoId(RepoType.MODEL, "acme", "other"), private=True)

    shared_repo = unique("target")
    repo_id = RepoId(RepoType.MODEL, "acme", shared_repo)
    container.repos.create(admin, repo_id, private=True)
    container.orgs.set_collaborator(admin, repo_id, users["collaborator"], Role.READ)
    container.commits.upload_file(admin, repo_id, "main", "dir/a.txt", [BLOB], size=len(BLOB))
    shared_bucket = unique("bucket")
    bucket_id = RepoId(RepoType.BUCKET, "acme", shared_bucket)
    container.repos.create(admin, bucket_id, private=True)
    container.orgs.set_collaborator(admin, bucket_id, users["collaborator"], Role.READ)
    container.buckets.put(admin, bucket_id, "k", [b"data"], size=4)

    expiring = token(users["org_writer"], expires_at=clock() + timedelta(hours=1))
    revoked = container.tokens.create(admin, "revoked", Scope.WRITE, for_user=users["org_writer"])
    container.tokens.revoke(admin, revoked.token.id)
    secrets = {
        "anonymous": None,
        "outsider": token(users["outsider"]),
        "org_reader": token(users["org_reader"]),
        "org_writer": token(users["org_writer"]),
        "org_admin": token(users["org_admin"]),
        "collaborator": token(users["collaborator"]),
        "site_admin": issued.secret,
        "read_token": token(users["org_writer"], Scope.READ),
        "restricted_token": token(users["org_admin"], restrict_to=["acme/other"]),
        "expired_token": expiring,
        "revoked_token": revoked.secret,
    }
    clock.offset = timedelta(hours=2)  # the expiring token is now expired
    headers = {p: ({"Authorization": f"Bearer {s}"} if s else {}) for p, s in secrets.items()}
    assert set(headers) == set(PRINCIPALS)

    client = InProcess(create_app(settings, container))
    try:
        world = World(
            container=container,
            client=client,
            admin=admin,
            users=users,
            headers=headers,
            shared_repo=shared_repo,
            shared_bucket=shared_bucket,
        )
        world.placeholders = {
            PASSWORD: THE_PASSWORD,
            SIGNIN_USER: users["signin"],
            BLOB_SHA256: hashlib.sha256(BLOB).hexdigest(),
            "<outsider>": users["outsider"],
            SHARED_REPO: f"acme/{shared_repo}",
            "<collaborator>": users["collaborator"],
        }
        yield world
    finally:
        client.close()
        container.close()


# --- targets: the path parameters of one cell ------------------------------------------------


def _fresh_repo(w: World, type: RepoType) -> dict[str, str]:
    name = unique("fresh")
    repo_id = RepoId(type, "acme", name)
    w.container.repos.create(w.admin, repo_id, private=True)
    w.container.orgs.set_collaborator(w.admin, repo_id, w.users["collaborator"], Role.READ)
    if type.versioned:
        w.container.revisions.create_ref(w.admin, repo_id, RefKind.BRANCH, "feature", "main")
        w.container.revisions.create_ref(w.admin, repo_id, RefKind.TAG, "v0.1", "main")
    else:
        w.container.buckets.put(w.admin, repo_id, "k", [b"data"], size=4)
    return {"namespace": "acme", "name": name}


def _fresh_user(w: World) -> dict[str, str]:
    name = w.container.users.create(w.admin, unique("victim")).name
    return {"name": name, "user": name}


def _fresh_member(w: World) -> dict[str, str]:
    name = _fresh_user(w)["user"]
    w.container.orgs.set_member(w.admin, "acme", name, Role.READ)
    return {"name": "acme", "user": name}


def _fresh_writer_token(w: World) -> dict[str, str]:
    issued = w.container.tokens.create(
        w.admin, "victim", Scope.WRITE, for_user=w.users["org_writer"]
    )
    return {"token_id": issued.token.id}


def _fresh_writer_access_key(w: World) -> dict[str, str]:
    issued = w.container.access_keys.create(
        w.admin, "victim", Scope.WRITE, for_user=w.users["org_writer"]
    )
    return {"key_id": issued.key.id}


def _fresh_writer_job(w: World) -> dict[str, str]:
    secret = w.headers["org_writer"]["Authorization"].removeprefix("Bearer ")
    writer = w.container.authenticator.authenticate(BearerToken(secret))
    repo_id = RepoId(RepoType.MODEL, "acme", w.shared_repo)
    request = JobRequest("inspect", {"model": (repo_id, "main")}, {"result_files": False})
    job = w.container.jobs.submit(writer, request)
    return {"job_id": job.id, "tracking_id": job.id, "app": "inspect"}


SETUPS: dict[str, Callable[[World], dict[str, str]]] = {
    "none": lambda w: {},
    "org": lambda w: {"name": "acme"},
    "shared_repo": lambda w: {"namespace": "acme", "name": w.shared_repo},
    "fresh_repo": lambda w: _fresh_repo(w, RepoType.MODEL),
    "shared_bucket": lambda w: {"namespace": "acme", "name": w.shared_bucket},
    "fresh_bucket": lambda w: _fresh_repo(w, RepoType.BUCKET),
    "fresh_user": _fresh_user,
    "fresh_member": _fresh_member,
    "fresh_writer_token": _fresh_writer_token,
    "fresh_writer_access_key": _fresh_writer_access_key,
    "fresh_writer_job": _fresh_writer_job,
}


def _fill(value: Any, w: World) -> Any:
    """Replace the placeholders of a recipe; every ``UNIQUE`` becomes a new name."""
    if isinstance(value, str):
        if value == BLOB_SIZE:
            return len(BLOB)
        while UNIQUE in value:
            value = value.replace(UNIQUE, unique(), 1)
        for placeholder, replacement in w.placeholders.items():
            value = value.replace(placeholder, replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, w) for v in value]
    return value


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Cell:
    method: str
    template: str
    principal: str
    expected: int
    got: int
    body: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def __str__(self) -> str:
        return (
            f"{self.method} {self.template} as {self.principal}: expected {self.expected}, "
            f"got {self.got} {self.body[:160]}"
        )


def run_cell(w: World, method: str, template: str, entry: Entry, principal: str) -> Cell:
    params = {**SETUPS[entry.target](w), **_fill(entry.params, w)}
    path = _PARAM.sub(lambda m: params[m.group(1)], template)
    body = _fill(entry.body, w)
    kwargs: dict[str, Any] = {"headers": dict(w.headers[principal])}
    if isinstance(body, bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    response = w.client.request(method, path, **kwargs)
    text = "" if method == "HEAD" else response.text
    got = response.status_code
    if got >= 400 and method != "HEAD":
        # Every refusal is the JSON envelope, not a bare framework error.
        error = response.json().get("error", {})
        if not (isinstance(error, dict) and error.get("code") and error.get("message")):
            got = -got  # shows up as a mismatch, with the body
    return Cell(method, template, principal, expected(entry, principal), got, text)


@pytest.fixture(scope="module")
def cells(world: World) -> dict[tuple[str, str, str], Cell]:
    found: dict[tuple[str, str, str], Cell] = {}
    for (method, template), entry in MATRIX.items():
        for principal in PRINCIPALS:
            found[method, template, principal] = run_cell(world, method, template, entry, principal)
    return found


# --- the tests -------------------------------------------------------------------------------


# Mounted applications that authorise requests themselves, each with tests of its own: the
# documentation pages' packaged assets (public files; test_api_docs.py), the Hub API and the
# web pages (test_web_pages.py).
MOUNTS = {("?", "/docs-assets"), ("?", "/hf"), ("?", "/ui")}


def test_every_route_has_an_entry_and_every_entry_a_route(world: World) -> None:
    served = route_keys(world.client.app)
    missing = sorted(served - set(MATRIX) - MOUNTS)
    stale = sorted(set(MATRIX) - served)
    assert not missing and not stale, (
        "the authorisation matrix (tests/acceptance/authz_matrix.py) is out of date:\n"
        + "".join(f"  route without an entry: {m} {p}\n" for m, p in missing)
        + "".join(f"  entry without a route:  {m} {p}\n" for m, p in stale)
    )


def test_entries_are_well_formed() -> None:
    for key, entry in MATRIX.items():
        assert entry.category in CATEGORIES, key
        assert entry.target in TARGETS, key
        assert set(entry.overrides) <= set(PRINCIPALS), key
    for name, row in CATEGORIES.items():
        assert set(row) == set(PRINCIPALS), name


def test_every_cell_gets_the_expected_status(cells: dict[tuple[str, str, str], Cell]) -> None:
    mismatches = [cell for cell in cells.values() if not cell.ok]
    routes = len(MATRIX)
    print(
        f"\nauthorisation matrix: {routes} routes x {len(PRINCIPALS)} principals = "
        f"{len(cells)} cells, {len(mismatches)} mismatches"
    )
    assert not mismatches, f"{len(mismatches)} of {len(cells)} cells differ:\n" + "\n".join(
        map(str, mismatches)
    )


def test_no_cell_is_a_server_error(cells: dict[tuple[str, str, str], Cell]) -> None:
    errors = [cell for cell in cells.values() if abs(cell.got) >= 500]
    assert not errors, "\n".join(map(str, errors))


def test_private_repo_refusals_do_not_leak_existence(world: World) -> None:
    """An outsider's 404 on the private target reads exactly like one on a repo that does not
    exist."""
    outsider = world.headers["outsider"]
    hidden = world.client.get(f"/api/models/acme/{world.shared_repo}", headers=outsider)
    missing = world.client.get(f"/api/models/acme/{unique('nothing')}", headers=outsider)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"]
    listing = world.client.get("/api/repos", params={"namespace": "acme"}, headers=outsider)
    assert world.shared_repo not in listing.text


_REPO_TARGETS = {
    "shared_repo": "shared_repo",
    "fresh_repo": "shared_repo",
    "shared_bucket": "shared_bucket",
    "fresh_bucket": "shared_bucket",
}
_SHAPE_HEADERS = ("content-type", "content-length", "www-authenticate", "allow", "retry-after")


def _answer(w: World, method: str, template: str, entry: Entry, principal: str, repo: str) -> Any:
    """Status, the headers a client could tell apart, and the body, with ``repo`` (the
    ``namespace/name`` the request named) masked."""
    namespace, name = repo.split("/")
    params = {**_fill(entry.params, w), "namespace": namespace, "name": name}
    path = _PARAM.sub(lambda m: params[m.group(1)], template)
    body = _fill(entry.body, w)
    kwargs: dict[str, Any] = {"headers": dict(w.headers[principal])}
    if isinstance(body, bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    response = w.client.request(method, path, **kwargs)
    text = response.text.replace(repo, "<repo>").replace(name, "<name>")
    headers = {k: response.headers.get(k) for k in _SHAPE_HEADERS}
    if headers["content-length"] is not None:
        headers["content-length"] = str(len(text.encode()))  # the masked body's length
    return response.status_code, headers, text


@pytest.mark.parametrize("principal", ["anonymous", "outsider", "restricted_token"])
def test_a_hidden_repo_answers_exactly_like_a_missing_one_on_every_route(
    world: World, principal: str
) -> None:
    """No oracle: on every repo route of the route table, a private repo or bucket the caller
    may not see, a missing one in the same namespace and one in a namespace that does not
    exist give the same status, headers and body, byte for byte once the name is masked."""
    routes = [(key, entry) for key, entry in MATRIX.items() if entry.target in _REPO_TARGETS]
    assert len(routes) >= 20, "the repo routes went missing from the matrix"
    differ = []
    for (method, template), entry in routes:
        hidden = "acme/" + getattr(world, _REPO_TARGETS[entry.target])
        answers = {
            repo: _answer(world, method, template, entry, principal, repo)
            for repo in (hidden, f"acme/{unique('nothing')}", f"{unique('nobody')}/x-{unique()}")
        }
        first = answers[hidden]
        assert first[0] == 404, (method, template, first)
        if method != "HEAD":
            assert '"repo_not_found"' in first[2], (method, template, first)
        differ += [(method, template, repo, a, first) for repo, a in answers.items() if a != first]
    assert not differ, "\n".join(map(str, differ))


def test_openapi_operation_ids_are_unique(world: World) -> None:
    app = world.client.app
    app.openapi_schema = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = app.openapi()
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates
    assert not [str(w.message) for w in caught]


def test_restricted_token_cannot_set_a_password(world: World) -> None:
    user = world.container.users.create(world.admin, unique("nopw")).name
    restricted = world.container.tokens.create(
        world.admin, "narrow", Scope.WRITE, for_user=user, restrict_to=["acme/other"]
    ).secret
    changed = world.client.request(
        "PUT",
        "/api/password",
        json={"new": "a new password, chosen by whoever holds the token"},
        headers={"Authorization": f"Bearer {restricted}"},
    )
    signed_in = world.client.request(
        "POST",
        "/api/signin",
        json={"name": user, "password": "a new password, chosen by whoever holds the token"},
    )
    assert (changed.status_code, signed_in.status_code) == (403, 401), (
        changed.text,
        signed_in.text,
    )
