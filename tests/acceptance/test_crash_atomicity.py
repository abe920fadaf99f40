"""kill -9 of the server between two statements of one change: after a restart the change is
wholly there or wholly absent, never half (a repo without ``main``, a branch on a commit that
was never stored, an action without its audit row, an audit row without its action).

Every process of the server carries :mod:`tests.acceptance.faults`, which pauses the request's
thread right after a chosen statement, inside the open transaction, in whichever worker took
the request; the test kills the server's whole process tree during the pause (kill -9 of its
process group: the command's process and every worker), restarts it, and reads the catalog
directly. The suite runs on one-process and two-process servers on every catalog.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from botocore.exceptions import BotoCoreError
from sqlalchemy import Engine

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.faults import ARM, arm, paused_process, server_env
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import make_s3_user, new_bucket, s3_client
from tests.services import catalog_database
from weighthouse.domain.errors import OrganizationNotFoundError, RepoNotFoundError
from weighthouse.domain.model import AuditEvent, RefKind, RepoType
from weighthouse.domain.ports import RepoQuery
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for

pytestmark = pytest.mark.acceptance

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.integration),
]
PAUSE_TIMEOUT_S = 60


@dataclass
class Crashable:
    server: LiveServer
    folder: Path
    catalog: SqlCatalog
    owner: Account
    crashes: int = 0

    @property
    def faults(self) -> Path:
        return self.folder / f"faults-{self.crashes}"

    def crash_after(self, statement: str, action: Callable[[httpx.Client], object]) -> None:
        """Run ``action`` with the owner's token; kill -9 the server right after it executes
        a statement starting with ``statement``; restart the server.

        However it ends, the server is restarted with a fault folder no earlier crash used: a
        scenario that fails half-way leaves no paused thread and no file to the next one."""
        try:
            self._crash_after(statement, action)
        finally:
            if self.server.process is not None:
                self.server.kill()
            self.crashes += 1
            self.faults.mkdir()
            self.server.extra_env.update(server_env(self.faults))
            self.server.start()

    def _crash_after(self, statement: str, action: Callable[[httpx.Client], object]) -> None:
        assert not list(self.faults.iterdir()), list(self.faults.iterdir())
        arm(self.faults, statement)
        finished = threading.Event()

        def run() -> None:
            try:
                with self.server.client(self.owner.token) as client:
                    action(client)
            except httpx.HTTPError:
                pass  # the server died under the request, as intended
            finally:
                finished.set()

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + PAUSE_TIMEOUT_S
        while (paused := paused_process(self.faults)) is None:
            if finished.is_set() or time.monotonic() > deadline:
                (self.faults / ARM).unlink(missing_ok=True)
                worker.join(timeout=30)
                pytest.fail(f"the request never ran {statement!r}:\n{self.server.log()}")
            time.sleep(0.01)
        serving = self.server.worker_pids()
        # The pause is in a process that serves requests: with two, a spawned worker.
        assert paused in serving, (paused, serving)
        assert len(serving) == self.server.workers
        tree = self.server_tree()
        self.server.kill()
        # Nothing of the server outlives the kill: no worker finishes the paused transaction.
        assert not [pid for pid in tree if psutil.pid_exists(pid)], tree
        worker.join(timeout=30)
        assert not worker.is_alive(), "the request outlived the server"

    def server_tree(self) -> list[int]:
        """The server's command process and every process under it."""
        assert self.server.process is not None
        top = psutil.Process(self.server.process.pid)
        return [top.pid, *(child.pid for child in top.children(recursive=True))]


@pytest.fixture(scope="module", params=BACKENDS)
def crashable(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[Crashable]:
    folder = tmp_path_factory.mktemp(f"crash-{request.param}")
    (folder / "faults-0").mkdir()
    with catalog_database(str(request.param), folder / "db") as url:
        server = LiveServer(
            data_dir=folder / "data",
            workers=server_workers,
            extra_env={"WEIGHTHOUSE_DATABASE__URL": url, **server_env(folder / "faults-0")},
        ).start()
        engine: Engine = create_engine_for(url)
        try:
            yield Crashable(server, folder, SqlCatalog(engine), make_user(server))
        finally:
            server.stop()
            engine.dispose()


def events(catalog: SqlCatalog, action: str) -> list[AuditEvent]:
    return catalog.list_events(action=action, limit=1000)


def check_repos_whole(catalog: SqlCatalog) -> None:
    """Every repo has its creation audited and, when versioned, a ``main`` on a stored commit;
    every audited creation or deletion matches what the catalog holds."""
    repos = catalog.list_repos(RepoQuery(see_all=True, limit=1000))
    held = {f"{r.type.value}:{r.full_name}" for r in repos}
    for repo in repos:
        if repo.type.versioned:
            head = catalog.get_ref(repo.id, RefKind.BRANCH, "main")
            catalog.get_commit(repo.id, head.commit_id)  # raises when the commit is missing
        for ref in catalog.list_refs(repo.id):
            catalog.get_commit(repo.id, ref.commit_id)
    # Replay the log, oldest first: the last word on each repo must agree with the catalog.
    last: dict[str, str] = {}
    for event in sorted(
        events(catalog, "repo.create") + events(catalog, "repo.delete"), key=lambda e: e.id or 0
    ):
        last[event.target] = event.action
    assert {target for target, action in last.items() if action == "repo.create"} == held


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- repo creation ------------------------------------------------------------------------------
# Each crash costs a server restart, so each change is cut where a change made of several
# transactions would have committed part of itself: after the branch (repo stored, main being
# made), and after the audit row (everything stored but not committed).
@pytest.mark.parametrize("statement", ["INSERT INTO refs", "INSERT INTO audit_events"])
def test_repo_creation_is_whole_or_absent(crashable: Crashable, statement: str) -> None:
    owner = crashable.owner.name
    name = unique("born")
    request = {"type": "model", "namespace": owner, "name": name}
    crashable.crash_after(statement, lambda c: c.post("/api/repos", json=request))
    with pytest.raises(RepoNotFoundError):
        crashable.catalog.get_repo(RepoType.MODEL, owner, name)
    assert not [
        e for e in events(crashable.catalog, "repo.create") if e.target.endswith(f"/{name}")
    ]
    check_repos_whole(crashable.catalog)
    with crashable.server.client(crashable.owner.token) as client:
        assert client.post("/api/repos", json=request).status_code == 201
        assert (
            client.get(f"/api/models/{owner}/{name}/refs").json()["branches"][0]["name"] == "main"
        )
    check_repos_whole(crashable.catalog)


# --- repo visibility and deletion ----------------------------------------------------------------
def test_visibility_change_is_stored_with_its_audit_row(crashable: Crashable) -> None:
    owner = crashable.owner
    with crashable.server.client(owner.token) as client:
        repo = make_repo(client, owner.name)
    namespace, name = repo.split("/")
    crashable.crash_after(
        "INSERT INTO audit_events", lambda c: c.patch(f"/api/models/{repo}", json={"private": True})
    )
    assert not crashable.catalog.get_repo(RepoType.MODEL, namespace, name).private
    assert not [
        e for e in events(crashable.catalog, "repo.visibility") if e.target == f"model:{repo}"
    ]
    with crashable.server.client(owner.token) as client:
        assert client.patch(f"/api/models/{repo}", json={"private": True}).status_code == 200
    assert crashable.catalog.get_repo(RepoType.MODEL, namespace, name).private
    assert [e for e in events(crashable.catalog, "repo.visibility") if e.target == f"model:{repo}"]


def test_repo_deletion_is_stored_with_its_audit_row(crashable: Crashable) -> None:
    owner = crashable.owner
    with crashable.server.client(owner.token) as client:
        repo = make_repo(client, owner.name)
        upload(client, repo, "kept.bin", b"still here")
    namespace, name = repo.split("/")
    crashable.crash_after("INSERT INTO audit_events", lambda c: c.delete(f"/api/models/{repo}"))
    stored = crashable.catalog.get_repo(RepoType.MODEL, namespace, name)
    assert crashable.catalog.get_ref(stored.id, RefKind.BRANCH, "main")
    assert not [e for e in events(crashable.catalog, "repo.delete") if e.target == f"model:{repo}"]
    check_repos_whole(crashable.catalog)
    with crashable.server.client(owner.token) as client:
        assert client.get(f"/api/models/{repo}/resolve/main/kept.bin").content == b"still here"


# --- commits -----------------------------------------------------------------------------------
def test_a_commit_is_whole_or_absent(crashable: Crashable) -> None:
    """Cut after the branch moved, before its trees and commit row are stored."""
    owner = crashable.owner
    with crashable.server.client(owner.token) as client:
        repo = make_repo(client, owner.name)
        first = upload(client, repo, "a.bin", b"first file")
    namespace, name = repo.split("/")
    stored = crashable.catalog.get_repo(RepoType.MODEL, namespace, name)
    head = crashable.catalog.get_ref(stored.id, RefKind.BRANCH, "main").commit_id
    assert head == first["commit"]["id"]
    crashable.crash_after(
        "UPDATE refs",
        lambda c: c.put(f"/api/models/{repo}/upload/main/b.bin", content=b"second file"),
    )
    assert crashable.catalog.get_ref(stored.id, RefKind.BRANCH, "main").commit_id == head
    check_repos_whole(crashable.catalog)
    with crashable.server.client(owner.token) as client:
        tree = client.get(f"/api/models/{repo}/tree/main").json()
        assert [e["path"] for e in tree["entries"]] == ["a.bin"]
        upload(client, repo, "b.bin", b"second file")
        assert client.get(f"/api/models/{repo}/resolve/main/b.bin").content == b"second file"


# --- conditional bucket PUTs ----------------------------------------------------------------
def test_a_create_only_put_is_whole_or_absent(crashable: Crashable) -> None:
    owner = crashable.owner
    with crashable.server.client(owner.token) as client:
        bucket = make_repo(client, owner.name, type="bucket")
    url = f"/api/buckets/{bucket}/objects/once.bin"
    crashable.crash_after(
        "INSERT INTO objects",
        lambda c: c.put(url, content=b"lost", headers={"If-None-Match": "*"}),
    )
    with crashable.server.client(owner.token) as client:
        assert client.get(url).status_code == 404
        put = client.put(url, content=b"kept", headers={"If-None-Match": "*"})
        assert put.status_code == 201, put.text
        assert client.get(url).content == b"kept"


def test_a_replacing_put_is_whole_or_absent(crashable: Crashable) -> None:
    owner = crashable.owner
    with crashable.server.client(owner.token) as client:
        bucket = make_repo(client, owner.name, type="bucket")
        url = f"/api/buckets/{bucket}/objects/versioned.bin"
        client.put(url, content=b"version 1").raise_for_status()
    etag = f'"{hashlib.sha256(b"version 1").hexdigest()}"'
    crashable.crash_after(
        "UPDATE objects", lambda c: c.put(url, content=b"version 2", headers={"If-Match": etag})
    )
    with crashable.server.client(owner.token) as client:
        assert client.get(url).content == b"version 1"
        put = client.put(url, content=b"version 2", headers={"If-Match": etag})
        assert put.status_code == 201, put.text
        assert client.get(url).content == b"version 2"


# --- tokens, organisations, members ----------------------------------------------------------
def test_a_new_token_is_stored_with_its_audit_row(crashable: Crashable) -> None:
    owner = crashable.owner
    user = crashable.catalog.get_user(owner.name)

    def audited() -> int:
        return len([e for e in events(crashable.catalog, "token.create") if e.target == owner.name])

    assert audited() == len(crashable.catalog.list_tokens(user.id))
    before = len(crashable.catalog.list_tokens(user.id))
    crashable.crash_after(
        "INSERT INTO audit_events",
        lambda c: c.post("/api/tokens", json={"name": "lost", "scope": "read"}),
    )
    assert len(crashable.catalog.list_tokens(user.id)) == before
    assert audited() == before


def test_a_new_organisation_is_stored_with_its_audit_row(crashable: Crashable) -> None:
    org = unique("org")
    crashable.crash_after(
        "INSERT INTO audit_events", lambda c: c.post("/api/orgs", json={"name": org})
    )
    with pytest.raises(OrganizationNotFoundError):
        crashable.catalog.get_org(org)
    assert not [e for e in events(crashable.catalog, "org.create") if e.target == org]
    with crashable.server.client(crashable.owner.token) as client:
        assert client.post("/api/orgs", json={"name": org}).status_code == 201
    assert [e for e in events(crashable.catalog, "org.create") if e.target == org]


def test_a_new_member_is_stored_with_its_audit_row(crashable: Crashable) -> None:
    org = unique("org")
    newcomer = make_user(crashable.server)
    with crashable.server.client(crashable.owner.token) as client:
        client.post("/api/orgs", json={"name": org}).raise_for_status()
    crashable.crash_after(
        "INSERT INTO audit_events",
        lambda c: c.put(f"/api/orgs/{org}/members/{newcomer.name}", json={"role": "write"}),
    )
    stored = crashable.catalog.get_org(org)
    assert [m.user_name for m in crashable.catalog.list_members(stored.id)] == [
        crashable.owner.name
    ]
    assert not [
        e
        for e in events(crashable.catalog, "org.member.set")
        if e.target == f"{org}:{newcomer.name}"
    ]


def test_nothing_is_left_half_done(crashable: Crashable) -> None:
    """After every crash above (this runs last in the module), the whole catalog still agrees
    with its audit log."""
    check_repos_whole(crashable.catalog)


def test_a_multipart_completion_is_whole_or_absent(crashable: Crashable) -> None:
    user = make_s3_user(crashable.server)
    s3 = s3_client(crashable.server, user)
    bucket = new_bucket(s3, user)
    s3.put_object(Bucket=bucket, Key="k", Body=b"old object")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    first, second = os.urandom(5 * 2**20), b"new tail"
    parts = [
        {
            "PartNumber": number,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="k", UploadId=upload, PartNumber=number, Body=body
            )["ETag"],
        }
        for number, body in ((1, first), (2, second))
    ]

    def complete(_: httpx.Client) -> None:
        with contextlib.suppress(BotoCoreError):  # the server dies under the request
            s3_client(crashable.server, user).complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
            )

    # The last statement of the completion's transaction: the upload is already claimed.
    crashable.crash_after("INSERT INTO objects", complete)
    s3 = s3_client(crashable.server, user)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"old object"
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)["Parts"]) == 2
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == first + second
