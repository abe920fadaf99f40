"""The Authenticator: every kind of credential to a principal, and every way one is refused.

SigV4 signatures are made by botocore, AWS's own signer, with the secret of an access key the
server issued, and by hand for AWS's published ``get-vanilla`` example.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from tests.unit.domain.identity import PASSWORD, Identity, identity
from tests.unit.domain.test_sigv4 import EXAMPLE_SECRET, get_vanilla_string_to_sign

from weighthouse.domain.access import ANONYMOUS
from weighthouse.domain.access_keys import context
from weighthouse.domain.credentials import (
    BareToken,
    BasicAuth,
    BearerToken,
    CookieSession,
    SessionToken,
    SigV4Signature,
    csrf_token,
)
from weighthouse.domain.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
)
from weighthouse.domain.model import AccessKey, Scope

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def _authenticate(world: Identity, credential: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return world.container.authenticator.authenticate(credential, **kwargs)  # type: ignore[arg-type]


# --- tokens, sessions, Basic -----------------------------------------------------------------


def test_nothing_is_anonymous(world: Identity) -> None:
    assert _authenticate(world, None) is ANONYMOUS


def test_an_api_token_as_bearer_or_bare_names_its_user_and_records_its_use(
    world: Identity,
) -> None:
    world.user("alice")
    issued = world.container.tokens.create(world.admin, "t", Scope.READ, for_user="alice")
    for credential in (BearerToken(issued.secret), BareToken(issued.secret)):
        principal = _authenticate(world, credential)
        assert principal.user is not None and principal.user.name == "alice"
        assert (principal.scope, principal.token_id) == (Scope.READ, issued.token.id)
    assert world.container.catalog.get_token(issued.token.id).last_used_at is not None


def test_a_session_token_works_as_bearer_and_as_session_but_a_token_is_no_session(
    world: Identity,
) -> None:
    world.user("bob")
    session = world.container.sessions.sign_in("bob", PASSWORD)
    for credential in (BearerToken(session.token), SessionToken(session.token)):
        principal = _authenticate(world, credential)
        assert principal.session_id == session.session.id
        assert principal.scope is Scope.WRITE
    token = world.container.tokens.create(world.admin, "t", Scope.READ, for_user="bob").secret
    with pytest.raises(AuthenticationError):
        _authenticate(world, SessionToken(token))


def test_signing_out_ends_the_session_at_once(world: Identity) -> None:
    world.user("carol")
    session = world.container.sessions.sign_in("carol", PASSWORD)
    principal = _authenticate(world, SessionToken(session.token))
    world.container.sessions.sign_out(principal)
    with pytest.raises(AuthenticationError):
        _authenticate(world, SessionToken(session.token))


def test_basic_takes_a_password_or_the_users_own_token(world: Identity) -> None:
    world.user("dave")
    world.user("erin")
    assert _authenticate(world, BasicAuth("dave", PASSWORD)).scope is Scope.WRITE
    token = world.container.tokens.create(world.admin, "t", Scope.READ, for_user="dave").secret
    assert _authenticate(world, BasicAuth("dave", token)).scope is Scope.READ
    with pytest.raises(AuthenticationError):
        _authenticate(world, BasicAuth("erin", token))
    with pytest.raises(AuthenticationError):
        _authenticate(world, BasicAuth("dave", PASSWORD + "x"))


def test_basic_passwords_are_rate_limited_per_account(world: Identity) -> None:
    world.user("frank")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            _authenticate(world, BasicAuth("frank", "wrong password"), client="10.0.0.1")
    with pytest.raises(RateLimitedError):
        _authenticate(world, BasicAuth("frank", PASSWORD), client="10.0.0.2")


def test_credentials_never_show_their_secrets() -> None:
    shown = repr(BasicAuth("u", "hunter22")) + repr(BearerToken("wh_x_secretpart"))
    shown += repr(CookieSession("whs.cookie", csrf="csrfvalue"))
    shown += repr(SigV4Signature("WHX", "20260101", "r", "s3", "sts", "deadbeef"))
    for secret in ("hunter22", "secretpart", "whs.cookie", "csrfvalue", "deadbeef"):
        assert secret not in shown


# --- cookie sessions -------------------------------------------------------------------------


def test_a_cookie_session_needs_its_csrf_token_only_to_change_things(world: Identity) -> None:
    world.user("gina")
    session = world.container.sessions.sign_in("gina", PASSWORD).token
    other = world.container.sessions.sign_in("gina", PASSWORD).token
    assert _authenticate(world, CookieSession(session, unsafe=False)).user is not None
    assert _authenticate(world, CookieSession(session, csrf_token(session))).user is not None
    for csrf in (None, "", csrf_token(other), csrf_token(session)[:-1], "é"):
        with pytest.raises(PermissionDeniedError):
            _authenticate(world, CookieSession(session, csrf))


def test_a_bad_cookie_is_unauthenticated_before_csrf_is_looked_at(world: Identity) -> None:
    for value in ("", "whs.a.b.c", "wh_abc_def"):
        with pytest.raises(AuthenticationError):
            _authenticate(world, CookieSession(value, csrf_token(value)))


# --- SigV4 -----------------------------------------------------------------------------------


def boto_signature(
    key_id: str, secret: str, *, region: str = "us-east-1", url: str = "https://s3.example/b/k"
) -> SigV4Signature:
    """Sign a GET with botocore, and hand over what an S3 front-end would extract."""
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": EMPTY_SHA256})
    auth = SigV4Auth(BotoCredentials(key_id, secret), "s3", region)
    auth.add_auth(request)
    header = request.headers["Authorization"]
    signature = header.rsplit("Signature=", 1)[1]
    del request.headers["Authorization"]
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    date = string_to_sign.split("\n")[2].split("/")[0]
    return SigV4Signature(key_id, date, region, "s3", string_to_sign, signature)


def test_a_botocore_signature_with_an_issued_key_names_its_user(world: Identity) -> None:
    world.user("hank")
    issued = world.container.access_keys.create(
        world.admin, "job", Scope.WRITE, for_user="hank", buckets=["hank/data"]
    )
    principal = _authenticate(world, boto_signature(issued.key.id, issued.secret))
    assert principal.user is not None and principal.user.name == "hank"
    assert principal.scope is Scope.WRITE
    assert principal.access_key_id == issued.key.id
    assert principal.restrict_to == ("hank/data",)
    assert principal.reaches("hank", "data") and not principal.reaches("hank", "other")
    stored = world.container.catalog.get_access_key(issued.key.id)
    assert stored.last_used_at is not None


def test_the_published_get_vanilla_example_verifies(world: Identity) -> None:
    """AWS's own example: key AKIDEXAMPLE, its documented secret, at 2015-08-30T12:36:00Z."""
    world.user("ivy")
    user = world.container.catalog.get_user("ivy")
    world.container.catalog.add_access_key(
        AccessKey(
            id="AKIDEXAMPLE",
            user_id=user.id,
            name="aws example",
            scope=Scope.READ,
            sealed_secret=world.container.access_keys._cipher.seal(  # type: ignore[attr-defined]
                EXAMPLE_SECRET.encode(), context=context("AKIDEXAMPLE")
            ),
            created_at=datetime(2015, 1, 1, tzinfo=UTC),
        )
    )
    world.clock.offset = datetime(2015, 8, 30, 12, 40, tzinfo=UTC) - datetime.now(UTC)
    credential = SigV4Signature(
        "AKIDEXAMPLE",
        "20150830",
        "us-east-1",
        "service",
        get_vanilla_string_to_sign(),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    )
    assert _authenticate(world, credential).access_key_id == "AKIDEXAMPLE"
    with pytest.raises(AuthenticationError) as refused:
        _authenticate(world, replace(credential, signature="0" * 64))
    assert refused.value.fields["reason"] == "signature_mismatch"


@pytest.fixture
def signed(world: Identity) -> tuple[Identity, SigV4Signature, str]:
    world.user("jack")
    issued = world.container.access_keys.create(world.admin, "job", Scope.READ, for_user="jack")
    return world, boto_signature(issued.key.id, issued.secret), issued.secret


def _reason(world: Identity, credential: SigV4Signature) -> str:
    with pytest.raises(AuthenticationError) as refused:
        _authenticate(world, credential)
    return str(refused.value.fields.get("reason"))


def test_tampering_with_any_part_of_a_signed_request_is_refused(
    signed: tuple[Identity, SigV4Signature, str],
) -> None:
    world, good, secret = signed
    lines = good.string_to_sign.split("\n")
    other_hash = "\n".join([*lines[:3], "0" * 64])
    assert _reason(world, replace(good, string_to_sign=other_hash)) == "signature_mismatch"
    flipped = ("0" if good.signature[0] != "0" else "1") + good.signature[1:]
    assert _reason(world, replace(good, signature=flipped)) == "signature_mismatch"
    assert _reason(world, replace(good, signature="")) == "signature_mismatch"
    assert _reason(world, replace(good, region="eu-west-1")) == "malformed"
    assert _reason(world, replace(good, service="iam")) == "malformed"
    # A different last character, whatever the random secret ended with.
    wrong_secret = boto_signature(
        good.access_key_id, secret[:-1] + ("y" if secret[-1] == "x" else "x")
    )
    assert _reason(world, wrong_secret) == "signature_mismatch"
    # Signed for another region, consistently: a well-formed request, but not this signature.
    moved = boto_signature(good.access_key_id, secret, region="eu-west-1")
    assert _reason(world, replace(moved, signature=good.signature)) == "signature_mismatch"


def test_an_unknown_or_malformed_key_id_is_refused(
    signed: tuple[Identity, SigV4Signature, str],
) -> None:
    world, good, secret = signed
    unknown = boto_signature("WH" + "Z" * 18, secret)
    assert _reason(world, unknown) == "invalid_access_key_id"
    for key_id in ("", "wh-lower", "WH/../X", "A" * 200):
        assert _reason(world, replace(good, access_key_id=key_id)) == "invalid_access_key_id"


def test_a_request_far_from_the_server_time_is_refused(
    signed: tuple[Identity, SigV4Signature, str],
) -> None:
    world, good, _ = signed
    world.clock.offset = timedelta(minutes=20)
    assert _reason(world, good) == "request_time_skewed"
    world.clock.offset = -timedelta(minutes=20)
    assert _reason(world, good) == "request_time_skewed"
    world.clock.offset = timedelta(0)
    assert _authenticate(world, good).user is not None


def test_revoking_a_key_or_disabling_its_user_stops_it_at_once(
    signed: tuple[Identity, SigV4Signature, str],
) -> None:
    world, good, _ = signed
    assert _authenticate(world, good).user is not None
    world.container.users.set_disabled(world.admin, "jack", True)
    with pytest.raises(AuthenticationError):
        _authenticate(world, good)
    world.container.users.set_disabled(world.admin, "jack", False)
    assert _authenticate(world, good).user is not None
    world.container.access_keys.revoke(world.admin, good.access_key_id)
    assert _reason(world, good) == "expired"


def test_an_expired_key_is_refused(world: Identity) -> None:
    world.user("kim")
    issued = world.container.access_keys.create(
        world.admin,
        "short",
        Scope.READ,
        for_user="kim",
        expires_at=world.clock() + timedelta(minutes=5),
    )
    good = boto_signature(issued.key.id, issued.secret)
    assert _authenticate(world, good).user is not None
    world.clock.offset = timedelta(minutes=10)  # still within the skew of the signed time
    assert _reason(world, good) == "expired"


def test_a_sealed_secret_moved_to_another_key_opens_nowhere(world: Identity) -> None:
    """Someone who can write the catalog but not read the key file cannot make a key sign
    with a secret they copied from another row."""
    world.user("lee")
    first = world.container.access_keys.create(world.admin, "a", Scope.READ, for_user="lee")
    second = world.container.access_keys.create(world.admin, "b", Scope.READ, for_user="lee")
    catalog = world.container.catalog
    stolen = catalog.get_access_key(first.key.id).sealed_secret
    target = catalog.get_access_key(second.key.id)
    catalog.revoke_access_key(second.key.id, world.clock())
    moved = replace(target, id="WH" + "M" * 18, sealed_secret=stolen, revoked_at=None)
    catalog.add_access_key(moved)
    assert _reason(world, boto_signature(moved.id, first.secret)) == "secret_unavailable"


def test_a_bare_basic_header_cannot_smuggle_an_access_key(world: Identity) -> None:
    world.user("mia")
    issued = world.container.access_keys.create(world.admin, "a", Scope.READ, for_user="mia")
    with pytest.raises(AuthenticationError):
        _authenticate(world, BasicAuth(issued.key.id, issued.secret))
    basic = base64.b64encode(f"{issued.key.id}:{issued.secret}".encode()).decode()
    with pytest.raises(AuthenticationError):
        _authenticate(world, BearerToken(basic))


# --- SigV2 presigned URLs ---------------------------------------------------------------------


def test_sigv2_presigned_urls_verify_until_they_expire(world: Identity) -> None:
    from botocore.auth import HmacV1QueryAuth

    from weighthouse.domain.credentials import SigV2QuerySignature

    world.user("kate")
    issued = world.container.access_keys.create(world.admin, "job", Scope.READ, for_user="kate")
    auth = HmacV1QueryAuth(BotoCredentials(issued.key.id, issued.secret), expires=300)
    request = AWSRequest(method="GET", url="https://s3.example/kate--data/k")
    auth.add_auth(request)
    query = dict(part.split("=", 1) for part in request.url.split("?", 1)[1].split("&"))
    from urllib.parse import unquote

    expires = int(query["Expires"])
    string_to_sign = f"GET\n\n\n{expires}\n/kate--data/k"
    credential = SigV2QuerySignature(
        issued.key.id, string_to_sign, unquote(query["Signature"]), expires
    )
    principal = _authenticate(world, credential)
    assert principal.user is not None and principal.user.name == "kate"
    tampered = replace(credential, string_to_sign=string_to_sign + "x")
    assert _reason(world, tampered) == "signature_mismatch"  # type: ignore[arg-type]
    late = replace(credential, expires=int(datetime.now(UTC).timestamp()) - 1)
    assert _reason(world, late) == "expired_url"  # type: ignore[arg-type]
    too_long = replace(credential, expires=int(datetime.now(UTC).timestamp()) + 8 * 86400)
    assert _reason(world, too_long) == "expired_url"  # type: ignore[arg-type]


def test_sigv2_header_signatures_verify_within_the_clock_skew(world: Identity) -> None:
    from email.utils import format_datetime, parsedate_to_datetime

    from botocore.auth import HmacV1Auth

    from weighthouse.domain.credentials import SigV2HeaderSignature

    world.user("liam")
    issued = world.container.access_keys.create(world.admin, "job", Scope.READ, for_user="liam")
    request = AWSRequest(method="GET", url="https://s3.example/liam--data/k")
    HmacV1Auth(BotoCredentials(issued.key.id, issued.secret)).add_auth(request)
    key_id, signature = request.headers["Authorization"].removeprefix("AWS ").split(":", 1)
    date = request.headers["Date"]
    string_to_sign = f"GET\n\n\n{date}\n/liam--data/k"
    credential = SigV2HeaderSignature(
        key_id, string_to_sign, signature, parsedate_to_datetime(date)
    )
    principal = _authenticate(world, credential)
    assert principal.user is not None and principal.user.name == "liam"
    assert principal.access_key_id == issued.key.id
    tampered = replace(credential, string_to_sign=string_to_sign.replace("/k", "/other"))
    assert _reason(world, tampered) == "signature_mismatch"  # type: ignore[arg-type]
    for minutes in (-16, 16):
        skewed = replace(
            credential, signed_at=parsedate_to_datetime(date) + timedelta(minutes=minutes)
        )
        assert _reason(world, skewed) == "request_time_skewed"  # type: ignore[arg-type]
    assert "secret" not in repr(credential) and signature not in repr(credential)
    unknown = replace(credential, access_key_id="WHNOSUCHKEY0000000000")
    assert _reason(world, unknown) == "invalid_access_key_id"  # type: ignore[arg-type]
    assert format_datetime(credential.signed_at, usegmt=True) == date


def test_post_policy_signatures_verify_with_sigv4_and_sigv2(world: Identity) -> None:
    import hashlib
    import hmac as hmac_

    from weighthouse.domain import sigv4
    from weighthouse.domain.credentials import PostPolicySignature

    world.user("mona")
    issued = world.container.access_keys.create(world.admin, "form", Scope.WRITE, for_user="mona")
    policy = base64.b64encode(b'{"expiration": "2099-01-01T00:00:00Z", "conditions": []}').decode()
    later = datetime.now(UTC) + timedelta(hours=1)
    scope = (datetime.now(UTC).strftime("%Y%m%d"), "us-east-1", "s3")
    v4 = sigv4.signature(sigv4.signing_key(issued.secret, *scope), policy)
    v2 = base64.b64encode(
        hmac_.new(issued.secret.encode(), policy.encode(), hashlib.sha1).digest()
    ).decode()
    for credential in (
        PostPolicySignature(issued.key.id, policy, v4, later, scope=scope),
        PostPolicySignature(issued.key.id, policy, v2, later),
    ):
        principal = _authenticate(world, credential)
        assert principal.user is not None and principal.user.name == "mona"
        tampered = replace(credential, policy=policy[:-4] + "AAA=")
        assert _reason(world, tampered) == "signature_mismatch"  # type: ignore[arg-type]
        expired = replace(credential, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(AuthenticationError, match="expired"):
            _authenticate(world, expired)
        unknown = replace(credential, access_key_id="WHNOSUCHKEY0000000000")
        assert _reason(world, unknown) == "invalid_access_key_id"  # type: ignore[arg-type]
        assert credential.signature not in repr(credential)
    bad_scope = PostPolicySignature(issued.key.id, policy, v4, later, scope=("x", "r", "s3"))
    assert _reason(world, bad_scope) == "malformed"  # type: ignore[arg-type]


# --- SigV4 signing keys kept between requests --------------------------------------------------


def _counting_key_reads(world: Identity, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    catalog = world.container.catalog
    reads: list[str] = []
    real = catalog.get_access_key

    def counted(key_id: str) -> AccessKey:
        reads.append(key_id)
        return real(key_id)

    monkeypatch.setattr(catalog, "get_access_key", counted)
    return reads


def test_a_key_signing_again_is_checked_without_reading_its_rows(
    signed: tuple[Identity, SigV4Signature, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, good, secret = signed
    reads = _counting_key_reads(world, monkeypatch)
    first = _authenticate(world, good)
    again = _authenticate(
        world, boto_signature(good.access_key_id, secret, url="https://s3.example/b/x")
    )
    assert first.access_key_id == again.access_key_id == good.access_key_id
    assert again.user is not None and again.user.name == "jack"
    assert reads == [good.access_key_id]
    # Another scope (region) derives its own signing key from the rows.
    _authenticate(world, boto_signature(good.access_key_id, secret, region="eu-west-1"))
    assert reads == [good.access_key_id] * 2


def test_a_kept_signing_key_still_refuses_a_wrong_signature(
    signed: tuple[Identity, SigV4Signature, str],
) -> None:
    world, good, secret = signed
    _authenticate(world, good)
    wrong_secret = boto_signature(
        good.access_key_id, secret[:-1] + ("y" if secret[-1] == "x" else "x")
    )
    assert _reason(world, wrong_secret) == "signature_mismatch"
    flipped = ("0" if good.signature[0] != "0" else "1") + good.signature[1:]
    assert _reason(world, replace(good, signature=flipped)) == "signature_mismatch"


def test_revoking_a_key_or_disabling_its_user_ends_its_kept_signing_key_at_once(
    world: Identity,
) -> None:
    world.user("kim")
    for end in ("revoke", "disable"):
        world.container.users.set_disabled(world.admin, "kim", False)
        issued = world.container.access_keys.create(world.admin, end, Scope.READ, for_user="kim")
        assert _authenticate(world, boto_signature(issued.key.id, issued.secret)).user is not None
        if end == "revoke":
            world.container.access_keys.revoke(world.admin, issued.key.id)
        else:
            world.container.users.set_disabled(world.admin, "kim", True)
        with pytest.raises(AuthenticationError):
            _authenticate(world, boto_signature(issued.key.id, issued.secret))


def test_a_kept_signing_key_ends_with_its_key(world: Identity) -> None:
    """A key's expiry is checked on every request, kept signing key or not."""
    world.user("lou")
    user = world.container.catalog.get_user("lou")
    secret = "s" * 40
    world.container.catalog.add_access_key(
        AccessKey(
            id="WHEXPIRING0000000001",
            user_id=user.id,
            name="short",
            scope=Scope.READ,
            sealed_secret=world.container.access_keys._cipher.seal(  # type: ignore[attr-defined]
                secret.encode(), context=context("WHEXPIRING0000000001")
            ),
            created_at=datetime.now(UTC),
            expires_at=datetime.now(UTC) + timedelta(minutes=1),
        )
    )
    assert _authenticate(world, boto_signature("WHEXPIRING0000000001", secret)).user is not None
    # Two minutes on: still within the request's clock skew, past the key's expiry.
    world.clock.offset = timedelta(minutes=2)
    assert _reason(world, boto_signature("WHEXPIRING0000000001", secret)) == "expired"
