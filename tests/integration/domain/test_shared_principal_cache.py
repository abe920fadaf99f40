"""The principal cache shared through a real Redis: what one process authenticated, another
reuses without asking the catalog; a revoke still ends it at once everywhere; and a Redis that
is down, hangs or holds damaged entries costs a miss, never a failed request."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from tests.services import redis_url
from tests.unit.domain.identity import Identity, identity
from tests.unit.domain.test_principal_cache import LIFETIME, CountingAuthenticator, issue

from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.principal_cache import PrincipalCache, SharedPrincipals
from weighthouse.security.redis_principals import RedisPrincipals

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis, removed afterwards."""
    url = redis_url()
    name = f"weighthouse-test:{secrets.token_hex(6)}:"
    yield name
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=name + "*"):
            client.delete(key)
    finally:
        client.close()


def process(
    world: Identity, shared: SharedPrincipals
) -> tuple[PrincipalCache, CountingAuthenticator]:
    """One server process's cache: its own memory, the shared store behind it."""
    counting = CountingAuthenticator(world)
    cache = PrincipalCache(
        counting,  # type: ignore[arg-type]
        world.container.catalog,
        world.clock,
        signer=world.signer,
        lifetime=LIFETIME,
        shared=shared,
    )
    return cache, counting


def keys(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_url())
    try:
        return list(client.scan_iter(match=prefix + "*"))
    finally:
        client.close()


def test_an_entry_made_by_one_process_serves_another(world: Identity, prefix: str) -> None:
    first, first_calls = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    second, second_calls = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    token = issue(world, "alice")
    principal = first.authenticate(token)
    assert principal.user is not None
    # The same principal, without the password hash, which never goes to Redis.
    expected = replace(principal, user=replace(principal.user, password_hash=None))
    assert second.authenticate(token) == expected
    assert second.authenticate(token).user == expected.user
    assert (first_calls.calls, second_calls.calls) == (1, 0)


def test_entries_hold_no_secret_and_expire_with_the_lifetime(world: Identity, prefix: str) -> None:
    cache, _ = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    world.container.users.create(world.admin, "bob", password="a password of bob's own")
    token = issue(world, "carol")
    cache.authenticate(token)
    [key] = keys(prefix)
    client = redis.Redis.from_url(redis_url())
    try:
        stored = client.get(key)
        ttl_ms = client.pttl(key)
    finally:
        client.close()
    assert isinstance(stored, bytes)
    text = stored.decode()
    assert token.value not in text and token.value not in key.decode()
    assert "argon2" not in text and "password" not in text
    assert 0 < ttl_ms <= LIFETIME.total_seconds() * 1000


def test_revoking_refuses_the_token_in_every_process_at_once(world: Identity, prefix: str) -> None:
    first, _ = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    second, _ = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    token = issue(world, "alice")
    principal = first.authenticate(token)
    second.authenticate(token)
    assert principal.token_id is not None
    world.container.tokens.revoke(principal, principal.token_id)
    assert keys(prefix), "the entry is still in Redis; the epoch is what refuses it"
    for cache in (first, second):
        with pytest.raises(AuthenticationError):
            cache.authenticate(token)
    third, _ = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    with pytest.raises(AuthenticationError):
        third.authenticate(token)


def test_a_damaged_or_forged_entry_is_a_miss(world: Identity, prefix: str) -> None:
    writer, _ = process(world, RedisPrincipals(redis_url(), prefix=prefix))
    token = issue(world, "alice")
    real = writer.authenticate(token)
    [key] = keys(prefix)
    client = redis.Redis.from_url(redis_url())
    try:
        for damaged in (b"not json", b"{}", json.dumps({"format": 99}).encode(), b"[1,2]"):
            client.set(key, damaged, px=5000)
            reader, calls = process(world, RedisPrincipals(redis_url(), prefix=prefix))
            assert reader.authenticate(token) == real  # from the catalog: the hash is there
            assert calls.calls == 1
    finally:
        client.close()


def test_a_redis_that_is_down_falls_back_to_the_catalog(world: Identity) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    cache, calls = process(world, RedisPrincipals(f"redis://127.0.0.1:{closed_port}/0"))
    token = issue(world, "alice")
    first = cache.authenticate(token)
    assert cache.authenticate(token) == first
    assert calls.calls == 1  # the process's own entries still serve


def test_a_redis_that_hangs_costs_one_timeout_not_one_per_request(world: Identity) -> None:
    # Connections complete in the listener's backlog and nothing ever answers, as a Redis
    # behind a partition does.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.setblocking(False)
    held: list[socket.socket] = []

    def connections() -> int:
        """How many connections reached the listener since the last call."""
        before = len(held)
        while True:
            try:
                held.append(listener.accept()[0])
            except BlockingIOError:
                return len(held) - before

    port = listener.getsockname()[1]
    try:
        shared = RedisPrincipals(f"redis://127.0.0.1:{port}/0", timeout_s=0.2, retry_seconds=60)
        cache, calls = process(world, shared)
        tokens = [issue(world, f"user{i}") for i in range(5)]
        assert cache.authenticate(tokens[0]).user is not None
        assert connections() >= 1  # the first call asked Redis and waited out its timeout
        for token in tokens[1:]:
            assert cache.authenticate(token).user is not None
        assert calls.calls == len(tokens)
        # Every later call skipped Redis for retry_seconds: neither a get nor a put connected.
        assert connections() == 0
    finally:
        for connection in held:
            connection.close()
        listener.close()
