"""Proof before reuse against a live server: a private blob's SHA-256 and size give an outsider
nothing (no commit, no existence, no bytes), while those who can read it, or sent the bytes
themselves within the grace period, reuse it without uploading again.

Requests go over loopback to a server process, through raw ``httpx`` where the exact bytes of
an answer matter and through the client library where a user would use it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.acceptance.live import LiveServer
from weighthouse.client import AddFile, ApiError, WeighthouseClient

pytestmark = pytest.mark.acceptance


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Person:
    name: str
    token: str

    def client(self, server: LiveServer) -> WeighthouseClient:
        return WeighthouseClient(server.url, self.token)


@dataclass
class World:
    server: LiveServer
    owner: Person
    outsider: Person
    member: Person
    collaborator: Person
    source: str  # <org>/<name>, private, holds the secret at weights.bin
    secret: bytes
    sha256: str


def person(admin: WeighthouseClient, prefix: str) -> Person:
    name = unique(prefix)
    admin.create_user(name)
    token = admin.create_token("proof", scope="write", user=name).secret
    assert token
    return Person(name, token)


def build_world(server: LiveServer) -> World:
    with WeighthouseClient(server.url, server.admin_token) as admin:
        owner, outsider, member, collaborator = (
            person(admin, p) for p in ("own", "out", "mem", "col")
        )
    secret = b"private weights: " + os.urandom(4096)
    with owner.client(server) as hub:
        org = unique("org")
        hub.create_org(org)
        hub.set_org_member(org, member.name, "read")
        source = hub.create_repo(unique("src"), namespace=org, private=True).id
        hub.set_collaborator(source, collaborator.name, "read")
        hub.upload_file(source, "weights.bin", secret)
    return World(server, owner, outsider, member, collaborator, source, secret, sha256_of(secret))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return build_world(live_server)


def own_repo(w: World, who: Person) -> str:
    with who.client(w.server) as hub:
        return hub.create_repo(unique("r"), namespace=who.name, private=True).id


def raw_commit(w: World, who: Person, repo: str, sha256: str, size: int) -> httpx.Response:
    body = {
        "message": "reuse by hash",
        "operations": [{"op": "add", "path": "copy.bin", "sha256": sha256, "size": size}],
    }
    with w.server.client(who.token) as http:
        return http.post(f"/api/models/{repo}/commit/main", json=body)


def raw_check(w: World, who: Person, repo: str, sha256: str, size: int) -> httpx.Response:
    body = {"blobs": [{"sha256": sha256, "size": size}]}
    with w.server.client(who.token) as http:
        return http.post(f"/api/models/{repo}/blobs/check", json=body)


def masked(response: httpx.Response, sha256: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (but the date) and body bytes, with the hash replaced."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "date"}
    return response.status_code, headers, response.content.replace(sha256.encode(), b"<sha>")


def random_sha256() -> str:
    return sha256_of(os.urandom(32))


# --- an outsider learns nothing ----------------------------------------------------------------
@pytest.mark.parametrize("size_offset", [0, 1, -1])
def test_an_outsiders_commit_of_a_private_blob_is_byte_for_byte_a_random_hashs(
    world: World, size_offset: int
) -> None:
    repo = own_repo(world, world.outsider)
    size = len(world.secret) + size_offset
    private = raw_commit(world, world.outsider, repo, world.sha256, size)
    other = random_sha256()
    unknown = raw_commit(world, world.outsider, repo, other, size)
    assert private.status_code == 400, private.text
    assert private.json()["error"]["code"] == "blob_unknown"
    assert masked(private, world.sha256) == masked(unknown, other)
    assert str(len(world.secret)).encode() not in private.content.replace(
        world.sha256.encode(), b""
    )


def test_the_check_endpoint_says_missing_alike_for_a_private_and_a_random_blob(
    world: World,
) -> None:
    repo = own_repo(world, world.outsider)
    size = len(world.secret)
    private = raw_check(world, world.outsider, repo, world.sha256, size)
    other = random_sha256()
    unknown = raw_check(world, world.outsider, repo, other, size)
    assert private.status_code == 200, private.text
    assert private.json() == {"available": [], "missing": [{"sha256": world.sha256, "size": size}]}
    assert masked(private, world.sha256) == masked(unknown, other)


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def every_get_path(w: World, victim_repo: str, own: str) -> Iterator[str]:
    """Every GET route of the server's OpenAPI, with each path parameter tried as the private
    hash and as the names that lead to the blob (the victim's repo, the caller's own)."""
    with httpx.Client(base_url=w.server.url) as http:
        spec = http.get("/openapi.json").json()
    victim_ns, victim_name = victim_repo.split("/")
    own_ns, own_name = own.split("/")
    choices = {
        "kind": ["models", "buckets"],
        "namespace": [victim_ns, own_ns],
        "name": [victim_name, own_name, w.sha256],
        "revision": ["main", w.sha256],
        "path": ["weights.bin", w.sha256],
        "key": ["weights.bin", w.sha256],
    }
    for template, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        names = _PARAM.findall(template)
        for values in itertools.product(*(choices.get(n, [w.sha256]) for n in names)):
            filled = dict(zip(names, values, strict=True))
            yield _PARAM.sub(lambda m, f=filled: f[m.group(1)], template)  # type: ignore[misc]


def bytes_served(w: World, token: str | None, paths: list[str]) -> list[str]:
    """The paths whose answer carries the secret's bytes or names its hash as the content."""
    leaks = []
    with w.server.client(token) as http:
        for path in paths:
            response = http.get(path, params={"recursive": "true"})
            if (
                w.secret[:64] in response.content
                or response.headers.get("x-content-sha256") == w.sha256
            ):
                leaks.append(path)
    return leaks


def test_no_get_route_serves_the_private_blob_to_an_outsider(world: World) -> None:
    own = own_repo(world, world.outsider)
    paths = list(every_get_path(world, world.source, own))
    assert len(paths) > 100
    assert bytes_served(world, world.outsider.token, paths) == []
    assert bytes_served(world, None, paths) == []
    # The sweep does reach the bytes for someone allowed to read them.
    assert bytes_served(world, world.collaborator.token, paths)


# --- readers of the source reuse it ------------------------------------------------------------
@pytest.mark.parametrize("who", ["owner", "member", "collaborator"])
def test_readers_of_the_source_commit_it_elsewhere_without_uploading(
    world: World, who: str
) -> None:
    reader: Person = getattr(world, who)
    repo = own_repo(world, reader)
    wanted = (world.sha256, len(world.secret))
    with reader.client(world.server) as hub:
        assert hub.reusable_blobs(repo, [wanted, (random_sha256(), 1)]) == {wanted}
        hub.commit(repo, [AddFile("copy.bin", *wanted)], message="reuse")
        assert hub.read_file(repo, "copy.bin") == world.secret


def test_losing_read_access_loses_reuse(live_server: LiveServer) -> None:
    w = build_world(live_server)  # its own, so revoking here leaves other tests alone
    wanted = (w.sha256, len(w.secret))
    repos = {p.name: own_repo(w, p) for p in (w.member, w.collaborator)}
    for reader in (w.member, w.collaborator):
        with reader.client(w.server) as hub:
            assert hub.reusable_blobs(repos[reader.name], [wanted]) == {wanted}
    with w.owner.client(w.server) as hub:
        hub.remove_org_member(w.source.split("/")[0], w.member.name)
        hub.remove_collaborator(w.source, w.collaborator.name)
    for reader in (w.member, w.collaborator):
        with reader.client(w.server) as hub:
            assert hub.reusable_blobs(repos[reader.name], [wanted]) == set()
            with pytest.raises(ApiError) as refused:
                hub.commit(repos[reader.name], [AddFile("copy.bin", *wanted)], message="reuse")
            assert (refused.value.status, refused.value.code) == (400, "blob_unknown")


# --- the grace period, and request limits ------------------------------------------------------
GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def short_grace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        data_dir=tmp_path_factory.mktemp("grace") / "data",
        extra_env={
            "WEIGHTHOUSE_GC_GRACE_SECONDS": str(GRACE_SECONDS),
            "WEIGHTHOUSE_MAX_COMMIT_JSON_BYTES": "200000",
        },
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def uploader(short_grace: LiveServer) -> Person:
    with WeighthouseClient(short_grace.url, short_grace.admin_token) as admin:
        return person(admin, "up")


def test_an_own_upload_is_committed_by_hash_only_within_the_grace_period(
    short_grace: LiveServer, uploader: Person
) -> None:
    with uploader.client(short_grace) as hub:
        staging = hub.create_repo(unique("staging"), private=True).id
        target = hub.create_repo(unique("target"), private=True).id
        fresh = os.urandom(1000)
        blob = hub.upload_blob(staging, fresh, size=len(fresh))
        wanted = (blob.sha256, blob.size)
        assert hub.reusable_blobs(target, [wanted]) == {wanted}
        hub.commit(target, [AddFile("fresh.bin", *wanted)], message="within the grace period")

        stale = os.urandom(1000)
        blob = hub.upload_blob(staging, stale, size=len(stale))
        late = (blob.sha256, blob.size)
        time.sleep(GRACE_SECONDS + 0.5)
        assert hub.reusable_blobs(target, [late]) == set()
        with pytest.raises(ApiError) as refused:
            hub.commit(target, [AddFile("stale.bin", *late)], message="too late")
        assert refused.value.code == "blob_unknown"
        hub.upload_blob(target, stale, size=len(stale))  # sent again: proof again
        hub.commit(target, [AddFile("stale.bin", *late)], message="uploaded again")
        assert hub.read_file(target, "stale.bin") == stale
        # Committed, the blob is held by a repo its author reads: no upload needed any more.
        time.sleep(GRACE_SECONDS + 0.5)
        assert hub.reusable_blobs(staging, [late]) == {late}


def test_check_requests_are_bounded(short_grace: LiveServer, uploader: Person) -> None:
    with uploader.client(short_grace) as hub:
        repo = hub.create_repo(unique("bounded"), private=True).id
    url = f"/api/models/{repo}/blobs/check"
    entry = {"sha256": "a" * 64, "size": 1}
    with short_grace.client(uploader.token) as http:
        too_many = http.post(url, json={"blobs": [entry] * 1001})
        assert too_many.status_code == 400, too_many.text
        big = b'{"blobs": [' + b" " * 250_000 + b"]}"
        declared = http.post(url, content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413, declared.text
        chunked = http.post(
            url,
            content=iter([big[:150_000], big[150_000:]]),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413, chunked.text
        assert chunked.json()["error"]["code"] == "too_large"
        bad = http.post(url, json={"blobs": [{"sha256": "A" * 64, "size": 1}]})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
        fine = http.post(url, json={"blobs": [entry, entry]})
        assert fine.json() == {"available": [], "missing": [entry]}
