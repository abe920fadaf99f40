"""The principal cache: reused within its lifetime, dropped at once by any change of the
credential epoch, never past the credential's own expiry, and never for passwords or
failures. The cache wraps a real ``Authenticator`` on a SQLite catalog (``identity``); a
counting wrapper around it tells a cache hit from a fresh authentication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.domain.identity import PASSWORD, Identity, identity

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.credentials import BasicAuth, BearerToken, Credential, SessionToken
from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.model import Role, Scope
from weighthouse.domain.principal_cache import PrincipalCache

LIFETIME = timedelta(seconds=5)


class CountingAuthenticator:
    """Passes every call to the real authenticator and counts them."""

    def __init__(self, world: Identity) -> None:
        self.inner = world.container.authenticator
        self.calls = 0

    def authenticate(
        self, credential: Credential | None, *, client: str | None = None
    ) -> Principal:
        self.calls += 1
        return self.inner.authenticate(credential, client=client)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def cache_of(
    world: Identity, lifetime: timedelta = LIFETIME
) -> tuple[PrincipalCache, CountingAuthenticator]:
    counting = CountingAuthenticator(world)
    cache = PrincipalCache(
        counting,  # type: ignore[arg-type]
        world.container.catalog,
        world.clock,
        signer=world.signer,
        lifetime=lifetime,
    )
    return cache, counting


def issue(world: Identity, name: str, **kwargs: object) -> BearerToken:
    world.container.users.create(world.admin, name, password=PASSWORD)
    issued = world.container.tokens.create(world.admin, "t", Scope.WRITE, for_user=name, **kwargs)  # type: ignore[arg-type]
    return BearerToken(issued.secret)


def test_a_token_is_authenticated_once_within_the_lifetime(world: Identity) -> None:
    cache, counting = cache_of(world)
    token = issue(world, "alice")
    first = cache.authenticate(token)
    assert cache.authenticate(token) == first
    assert cache.authenticate(token).user == first.user
    assert counting.calls == 1
    world.clock.offset += LIFETIME
    assert cache.authenticate(token) == first
    assert counting.calls == 2


def test_revoking_the_token_refuses_it_at_once(world: Identity) -> None:
    cache, _ = cache_of(world)
    token = issue(world, "alice")
    principal = cache.authenticate(token)
    assert cache.remembered(token) == principal
    assert principal.token_id is not None
    world.container.tokens.revoke(principal, principal.token_id)
    assert cache.remembered(token) is None  # the entry is there, under an older epoch
    with pytest.raises(AuthenticationError):
        cache.authenticate(token)


def test_disabling_the_user_refuses_every_cached_token_at_once(world: Identity) -> None:
    cache, _ = cache_of(world)
    token = issue(world, "alice")
    cache.authenticate(token)
    world.container.users.set_disabled(world.admin, "alice", True)
    with pytest.raises(AuthenticationError):
        cache.authenticate(token)


def test_a_membership_change_drops_every_entry(world: Identity) -> None:
    cache, counting = cache_of(world)
    token = issue(world, "alice")
    alice = cache.authenticate(token)
    world.container.users.create(world.admin, "bob", password=PASSWORD)
    world.container.orgs.create(alice, "acme")
    world.container.orgs.set_member(alice, "acme", "bob", Role.READ)
    cache.authenticate(token)
    assert counting.calls == 2


def test_a_token_expiring_within_the_lifetime_is_refused_when_it_expires(
    world: Identity,
) -> None:
    cache, _ = cache_of(world)
    token = issue(world, "alice", expires_at=world.clock() + timedelta(seconds=2))
    cache.authenticate(token)
    world.clock.offset += timedelta(seconds=3)  # still within the cache lifetime
    with pytest.raises(AuthenticationError):
        cache.authenticate(token)


def test_a_signed_out_session_is_refused_at_once(world: Identity) -> None:
    cache, _ = cache_of(world)
    world.container.users.create(world.admin, "alice", password=PASSWORD)
    signed_in = world.container.sessions.sign_in("alice", PASSWORD, client=None)
    session = SessionToken(signed_in.token)
    principal = cache.authenticate(session)
    world.container.sessions.sign_out(principal)
    with pytest.raises(AuthenticationError):
        cache.authenticate(session)


@pytest.mark.parametrize("carrier", [SessionToken, BearerToken])
def test_retiring_the_signing_key_refuses_its_cached_sessions_at_once(
    world: Identity, carrier: type[SessionToken] | type[BearerToken]
) -> None:
    # Retiring a key changes the key ring, not the catalog: the epoch cannot tell.
    cache, counting = cache_of(world)
    world.container.users.create(world.admin, "alice", password=PASSWORD)
    session = carrier(world.container.sessions.sign_in("alice", PASSWORD, client=None).token)
    old_kid = session.value.split(".")[1]
    cache.authenticate(session)
    world.signer.rotate()
    assert cache.authenticate(session).user is not None  # rotation alone signs no one out
    assert counting.calls == 1
    world.signer.retire(old_kid)
    with pytest.raises(AuthenticationError):
        cache.authenticate(session)


def test_passwords_and_failures_are_never_cached(world: Identity) -> None:
    cache, counting = cache_of(world)
    issue(world, "alice")
    for _ in range(2):
        cache.authenticate(BasicAuth("alice", PASSWORD))
    bad = BearerToken("wh_" + "0" * 16 + "_" + "x" * 43)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            cache.authenticate(bad)
    assert counting.calls == 4


def test_a_lifetime_of_zero_caches_nothing(world: Identity) -> None:
    cache, counting = cache_of(world, timedelta(0))
    token = issue(world, "alice")
    cache.authenticate(token)
    cache.authenticate(token)
    assert counting.calls == 2


def test_the_oldest_entry_goes_when_the_cache_is_full(world: Identity) -> None:
    counting = CountingAuthenticator(world)
    cache = PrincipalCache(
        counting,  # type: ignore[arg-type]
        world.container.catalog,
        world.clock,
        signer=world.signer,
        lifetime=LIFETIME,
        max_entries=2,
    )
    tokens = [issue(world, name) for name in ("alice", "bob", "carol")]
    for token in tokens:
        cache.authenticate(token)
    cache.authenticate(tokens[2])
    cache.authenticate(tokens[1])
    assert counting.calls == 3
    cache.authenticate(tokens[0])
    assert counting.calls == 4


def test_remembered_answers_only_from_this_processs_usable_entries(world: Identity) -> None:
    cache, counting = cache_of(world)
    token = issue(world, "alice")
    assert cache.remembered(None) == ANONYMOUS
    assert cache.remembered(token) is None  # never authenticated here
    alice = cache.authenticate(token)
    assert cache.remembered(token) == alice
    assert cache.remembered(BasicAuth("alice", PASSWORD)) is None  # passwords are never kept
    world.clock.offset += LIFETIME
    assert cache.remembered(token) is None  # stale: only the authenticator may answer
    assert counting.calls == 1


def test_remembered_refuses_a_session_whose_signing_key_is_retired(world: Identity) -> None:
    cache, _ = cache_of(world)
    world.container.users.create(world.admin, "alice", password=PASSWORD)
    session = SessionToken(world.container.sessions.sign_in("alice", PASSWORD, client=None).token)
    cache.authenticate(session)
    assert cache.remembered(session) is not None
    world.signer.rotate()
    world.signer.retire(session.value.split(".")[1])
    with pytest.raises(AuthenticationError):
        cache.remembered(session)


def test_remembered_knows_nothing_when_caching_is_off(world: Identity) -> None:
    cache, _ = cache_of(world, timedelta(0))
    token = issue(world, "alice")
    cache.authenticate(token)
    assert cache.remembered(token) is None
