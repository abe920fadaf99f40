"""The authentication cache never outlives the credential: a revoked token, a disabled user and
a removed member stop working on the very next request, on every worker process, even though
each worker has just answered (and so remembered) that token.

Each test first uses the token on every worker, so that each process holds a cache entry for
it, then makes the change through one worker and asks every worker again. The servers run with
a cache lifetime far longer than the test, so only the invalidation can explain a refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import redis

from tests.acceptance.api import make_repo, make_user, unique
from tests.acceptance.live import LiveServer
from tests.acceptance.test_workers import Pinned
from tests.services import redis_url
from weighthouse.security.redis_principals import PREFIX

# With one process every request meets the same cache; with two, a change made through one
# process must reach the other: this file runs against both.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]


@pytest.fixture(
    scope="module",
    params=[(1, False), (2, False), (2, True)],
    ids=["workers1", "workers2", "workers2-redis"],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workers, shared = request.param
    env = {"WEIGHTHOUSE_AUTH__PRINCIPAL_CACHE_SECONDS": "30"}
    if shared:
        # The workers share their cache entries through Redis: invalidation must still reach
        # every one of them at once.
        env["WEIGHTHOUSE_REDIS__URL"] = redis_url()
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("cache") / "data", workers=workers, extra_env=env
    ).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def pinned(server: LiveServer) -> Iterator[list[Pinned]]:
    """A keep-alive connection to each worker process."""
    kept: dict[int, Pinned] = {}
    for _ in range(200):
        connection = Pinned(server)
        if connection.worker in kept:
            connection.close()
        else:
            kept[connection.worker] = connection
        if len(kept) == server.workers:
            break
    assert len(kept) == server.workers, f"only workers {sorted(kept)} accepted connections"
    yield list(kept.values())
    for connection in kept.values():
        connection.close()


def statuses(pinned: list[Pinned], path: str, token: str, times: int = 3) -> set[int]:
    """Every status each worker answered, asked ``times`` times each."""
    return {c.request("GET", path, token=token)[0] for c in pinned for _ in range(times)}


def test_with_redis_an_entry_one_worker_made_is_in_redis_for_the_others(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    url = server.extra_env.get("WEIGHTHOUSE_REDIS__URL")
    if url is None:
        pytest.skip("this server runs without Redis")
    user = make_user(server)
    key = hashlib.sha256(b"BearerToken\0" + user.token.encode()).hexdigest()
    client = redis.Redis.from_url(url)
    try:
        assert client.get(PREFIX + key) is None
        assert pinned[0].request("GET", "/api/whoami", token=user.token)[0] == 200
        stored = client.get(PREFIX + key)
        assert stored is not None and user.token.encode() not in stored
        assert 0 < client.pttl(PREFIX + key) <= 30_000
    finally:
        client.close()
    assert statuses(pinned, "/api/whoami", user.token) == {200}


def test_a_revoked_token_is_refused_at_once_by_every_worker(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    user = make_user(server)
    with server.client(user.token) as client:
        token_id = next(t["id"] for t in client.get("/api/tokens").json() if t["name"] == "r")
    assert statuses(pinned, "/api/whoami", user.read_token) == {200}
    with server.client(user.token) as client:
        assert client.delete(f"/api/tokens/{token_id}").status_code == 204
    assert statuses(pinned, "/api/whoami", user.read_token) == {401}
    assert statuses(pinned, "/api/whoami", user.token) == {200}  # the other token still works


def test_object_reads_by_a_remembered_token_end_at_once_when_it_is_revoked(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    # A small object GET or HEAD by a token a process remembers is answered on its event
    # loop, from the cache's own entries (server.loop_reads): that path too must see the
    # revoke at once, and a member removed from the bucket's organisation too.
    owner, member = make_user(server), make_user(server)
    org = unique("o")
    with server.client(owner.token) as client:
        assert client.post("/api/orgs", json={"name": org}).status_code == 201
        joined = client.put(f"/api/orgs/{org}/members/{member.name}", json={"role": "read"})
        assert joined.status_code == 200, joined.text
        bucket = make_repo(client, org, type="bucket", private=True)
        path = f"/api/buckets/{bucket}/objects/small.bin"
        assert client.put(path, content=b"x" * 4096).status_code == 201
        token_id = next(t["id"] for t in client.get("/api/tokens").json() if t["name"] == "r")
    for token in (owner.read_token, member.token):
        assert statuses(pinned, path, token) == {200}
        assert {c.request("HEAD", path, token=token)[0] for c in pinned} == {200}
    with server.client(owner.token) as client:
        assert client.delete(f"/api/tokens/{token_id}").status_code == 204
        assert client.delete(f"/api/orgs/{org}/members/{member.name}").status_code == 204
    assert statuses(pinned, path, owner.read_token) == {401}
    assert {c.request("HEAD", path, token=owner.read_token)[0] for c in pinned} == {401}
    assert statuses(pinned, path, member.token) == {404}
    assert statuses(pinned, path, owner.token) == {200}


def test_a_disabled_user_is_refused_at_once_and_back_at_once_when_enabled(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    user = make_user(server)
    assert statuses(pinned, "/api/whoami", user.token) == {200}
    with server.client(server.admin_token) as admin:
        changed = admin.patch(f"/api/users/{user.name}", json={"disabled": True})
        assert changed.status_code == 200, changed.text
        assert statuses(pinned, "/api/whoami", user.token) == {401}
        changed = admin.patch(f"/api/users/{user.name}", json={"disabled": False})
        assert changed.status_code == 200, changed.text
    assert statuses(pinned, "/api/whoami", user.token) == {200}


def test_a_removed_member_loses_the_private_repo_at_once(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    member = make_user(server)
    org = unique("o")
    with server.client(server.admin_token) as admin:
        assert admin.post("/api/orgs", json={"name": org}).status_code == 201
        joined = admin.put(f"/api/orgs/{org}/members/{member.name}", json={"role": "read"})
        assert joined.status_code == 200, joined.text
        repo = make_repo(admin, org, private=True)
    assert statuses(pinned, f"/api/models/{repo}", member.token) == {200}
    with server.client(server.admin_token) as admin:
        assert admin.delete(f"/api/orgs/{org}/members/{member.name}").status_code == 204
    assert statuses(pinned, f"/api/models/{repo}", member.token) == {404}
    assert statuses(pinned, "/api/whoami", member.token) == {200}


def test_a_signed_out_session_is_refused_at_once_by_every_worker(
    server: LiveServer, pinned: list[Pinned]
) -> None:
    name = unique("s")
    password = "a long enough password"
    with server.client(server.admin_token) as admin:
        created = admin.post("/api/users", json={"name": name, "password": password})
        assert created.status_code == 201, created.text
    with server.client() as anonymous:
        signed_in = anonymous.post("/api/signin", json={"name": name, "password": password})
        assert signed_in.status_code == 200, signed_in.text
    session = signed_in.json()["token"]
    assert statuses(pinned, "/api/whoami", session) == {200}
    assert pinned[-1].request("POST", "/api/signout", token=session)[0] == 204
    assert statuses(pinned, "/api/whoami", session) == {401}
