"""Authentication: any credential value in, a :class:`Principal` out. The only place that
decides whether a credential is good.

Front-ends extract a :mod:`~weighthouse.domain.credentials` value from their wire format and
call :meth:`Authenticator.authenticate`. The rules, for every kind:

* An API token's id finds its row and SHA-256 of its secret must match (in constant time);
  then it must be neither expired nor revoked.
* A session token must carry the server's signature and name a session that is neither
  expired nor signed out.
* HTTP Basic with a password goes through the rate-limited password check of
  :class:`~weighthouse.domain.signin.PasswordGate`; with a token as the password, the token
  must belong to the user named.
* A cookie session is a session token, plus the CSRF token for requests that change things.
* A SigV4 signature's access key is looked up, its secret unsealed, the signing key derived and
  the signature compared in constant time; then the key must be active and the request's time
  near the server's.

The secret is checked before the expiry or revocation is told, so only a holder of the secret
learns a credential's state. A disabled user's credentials all fail at once. Token and access
key uses are recorded at most once a minute.
"""

from __future__ import annotations

import hmac
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from weighthouse.domain import sigv2, sigv4
from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.access_keys import context, is_key_id
from weighthouse.domain.catalog import AccessKeyCatalog, SessionCatalog, TokenCatalog, UserCatalog
from weighthouse.domain.credentials import (
    SESSION_MAX_LENGTH,
    SESSION_PREFIX,
    TOKEN_PREFIX,
    BareToken,
    BasicAuth,
    BearerToken,
    ChunkSignatures,
    CookieSession,
    Credential,
    PostPolicySignature,
    SessionToken,
    SigV2HeaderSignature,
    SigV2QuerySignature,
    SigV4Signature,
    csrf_token,
)
from weighthouse.domain.errors import (
    AccessKeyNotFoundError,
    AuthenticationError,
    PermissionDeniedError,
    SessionNotFoundError,
    StorageError,
    TokenNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import AccessKey, Scope, User
from weighthouse.domain.ports import Clock, SecretCipher, SessionSigner
from weighthouse.domain.signin import PasswordGate
from weighthouse.domain.signing_keys import SigningKeyCache
from weighthouse.domain.tokens import hash_secret, parse_token

# Recording every use would turn each read into a write; once a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)


class CredentialCatalog(UserCatalog, TokenCatalog, SessionCatalog, AccessKeyCatalog, Protocol):
    """What :class:`Authenticator` reads: users and every kind of credential row. Its only
    writes are last-use times, each one call on its own."""


class Authenticator:
    """Turns credentials into principals.

    ``authenticate`` reads the catalog and the key rings and writes only last-use times, so
    a cache of credential -> principal can sit in front of it, as long as it is emptied when
    a token, access key or session ends, a user is disabled or their memberships change.
    """

    def __init__(
        self,
        catalog: CredentialCatalog,
        clock: Clock,
        *,
        signer: SessionSigner,
        gate: PasswordGate,
        cipher: SecretCipher,
        signing_keys: SigningKeyCache | None = None,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._signer = signer
        self._gate = gate
        self._cipher = cipher
        self._signing_keys = signing_keys

    def authenticate(
        self, credential: Credential | None, *, client: str | None = None
    ) -> Principal:
        """The principal for what a request presented; ``None`` means anonymous.

        ``client`` is the caller's address, for rate limits and the audit log. Raises
        ``AuthenticationError`` for malformed, unknown, expired or revoked credentials and for
        disabled users (SigV4 failures carry a ``reason`` field: ``invalid_access_key_id``,
        ``signature_mismatch``, ``request_time_skewed``, ``expired``, ``malformed`` or
        ``secret_unavailable``),
        ``RateLimitedError`` for Basic passwords over the limit, and ``PermissionDeniedError``
        for a cookie session without its CSRF token on a request that changes things.
        """
        if credential is None:
            return ANONYMOUS
        if isinstance(credential, BearerToken | BareToken):
            if credential.value.startswith(SESSION_PREFIX):
                return self._session(credential.value)
            return self._token(credential.value)
        if isinstance(credential, SessionToken):
            return self._session(credential.value)
        if isinstance(credential, BasicAuth):
            return self._basic(credential, client)
        if isinstance(credential, CookieSession):
            return self._cookie(credential)
        if isinstance(credential, SigV4Signature):
            return self._sigv4(credential)
        if isinstance(credential, SigV2QuerySignature):
            return self._sigv2(credential)
        if isinstance(credential, SigV2HeaderSignature):
            return self._sigv2_header(credential)
        if isinstance(credential, PostPolicySignature):
            return self._post_policy(credential)
        raise AuthenticationError("unsupported credential")

    # --- the kinds -------------------------------------------------------------------------
    def _basic(self, credential: BasicAuth, client: str | None) -> Principal:
        name, secret = credential.user, credential.secret
        if secret.startswith((TOKEN_PREFIX, SESSION_PREFIX)):
            # The form git and many clients use: the user name, and a token as the password.
            if secret.startswith(SESSION_PREFIX):
                principal = self._session(secret)
            else:
                principal = self._token(secret)
            if principal.user is None or principal.user.name != name:
                raise AuthenticationError("the token does not belong to that user")
            return principal
        user = self._gate.sign_in(name, secret, client)
        return Principal(user=user, scope=_full_scope(user))

    def _cookie(self, credential: CookieSession) -> Principal:
        principal = self._session(credential.session)
        if credential.unsafe:
            expected = csrf_token(credential.session).encode("ascii")
            given = (credential.csrf or "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                raise PermissionDeniedError(
                    "send the session's CSRF token in the X-CSRF-Token header", reason="csrf"
                )
        return principal

    def _session(self, value: str) -> Principal:
        if len(value) > SESSION_MAX_LENGTH or not value.startswith(SESSION_PREFIX):
            raise AuthenticationError("malformed session token")
        claims = self._signer.verify(value)
        session_id, user_id, expires = claims.get("sid"), claims.get("sub"), claims.get("exp")
        if not isinstance(session_id, str) or not isinstance(user_id, str):
            raise AuthenticationError("malformed session token")
        if not isinstance(expires, int) or expires <= self._clock().timestamp():
            raise AuthenticationError("the session has expired; sign in again")
        try:
            session = self._catalog.get_session(session_id)
            user = self._catalog.get_user_by_id(user_id)
        except (SessionNotFoundError, UserNotFoundError):
            raise AuthenticationError("invalid session") from None
        if session.user_id != user.id or not session.is_active(self._clock()):
            raise AuthenticationError("the session has ended; sign in again")
        _check_enabled(user)
        return Principal(
            user=user,
            scope=_full_scope(user),
            session_id=session.id,
            expires_at=session.expires_at,
        )

    def _token(self, presented: str) -> Principal:
        token_id, secret = parse_token(presented)
        try:
            token = self._catalog.get_token(token_id)
            user = self._catalog.get_user_by_id(token.user_id)
        except (TokenNotFoundError, UserNotFoundError):
            raise AuthenticationError("invalid token") from None
        if not hmac.compare_digest(token.secret_sha256, hash_secret(secret)):
            raise AuthenticationError("invalid token")
        now = self._clock()
        if not token.is_active(now):
            raise AuthenticationError("token expired or revoked")
        _check_enabled(user)
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            # A missed stamp costs nothing; failing every request on a full disk would.
            with suppress(StorageError):
                self._catalog.touch_token(token.id, now)
        return Principal(
            user=user,
            scope=token.scope,
            token_id=token.id,
            restrict_to=token.restrict_to,
            expires_at=token.expires_at,
        )

    def authenticate_chunked(self, credential: SigV4Signature) -> tuple[Principal, ChunkSignatures]:
        """:meth:`authenticate` for a request whose body is signed chunk by chunk
        (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``): the principal, and the checker of the chunk
        signatures that chain from this request's signature."""
        principal, key = self._sigv4_with_key(credential)
        signed = sigv4.parse_string_to_sign(credential.string_to_sign)
        chain = sigv4.ChunkChain(
            key, signed.at.strftime("%Y%m%dT%H%M%SZ"), signed.scope, credential.signature
        )
        return principal, chain

    def _access_key(self, key_id: str) -> tuple[AccessKey, User, str]:
        """The access key, its user and its unsealed secret."""
        try:
            key = self._catalog.get_access_key(key_id)
            user = self._catalog.get_user_by_id(key.user_id)
        except (AccessKeyNotFoundError, UserNotFoundError):
            raise AuthenticationError(
                "no such access key", reason="invalid_access_key_id"
            ) from None
        try:
            secret = self._cipher.open(key.sealed_secret, context=context(key.id))
        except AuthenticationError as exc:
            # The server's secret key ring lost the key, or the row was tampered with: an
            # operator's problem, told apart so a front-end can log it.
            raise AuthenticationError(exc.message, reason="secret_unavailable") from None
        return key, user, secret.decode("utf-8", "replace")

    def _key_principal(self, key: AccessKey, user: User, now: datetime) -> Principal:
        """After the signature matched: the key must be active and its user enabled."""
        if not key.is_active(now):
            raise AuthenticationError("access key expired or revoked", reason="expired")
        _check_enabled(user)
        if _touch_due(key, now):
            with suppress(StorageError):
                self._catalog.touch_access_key(key.id, now)
        return Principal(user=user, scope=key.scope, access_key_id=key.id, restrict_to=key.buckets)

    def _sigv2(self, credential: SigV2QuerySignature) -> Principal:
        if not is_key_id(credential.access_key_id):
            raise AuthenticationError("malformed access key id", reason="invalid_access_key_id")
        now = self._clock()
        left = credential.expires - now.timestamp()
        if left < 0:
            raise AuthenticationError("the presigned URL has expired", reason="expired_url")
        if left > sigv4.MAX_PRESIGNED.total_seconds():
            raise AuthenticationError("a presigned URL expires within 7 days", reason="expired_url")
        return self._sigv2_checked(credential.access_key_id, credential, now)

    def _sigv2_header(self, credential: SigV2HeaderSignature) -> Principal:
        if not is_key_id(credential.access_key_id):
            raise AuthenticationError("malformed access key id", reason="invalid_access_key_id")
        now = self._clock()
        if abs(now - credential.signed_at) > sigv4.MAX_SKEW:
            raise AuthenticationError(
                "the request time is too far from the server's time", reason="request_time_skewed"
            )
        return self._sigv2_checked(credential.access_key_id, credential, now)

    def _sigv2_checked(
        self,
        key_id: str,
        credential: SigV2QuerySignature | SigV2HeaderSignature,
        now: datetime,
    ) -> Principal:
        key, user, secret = self._access_key(key_id)
        expected = sigv2.signature(secret, credential.string_to_sign).encode("ascii")
        if not hmac.compare_digest(expected, credential.signature.encode("utf-8", "replace")):
            raise AuthenticationError(
                "the signature does not match the request", reason="signature_mismatch"
            )
        return self._key_principal(key, user, now)

    def _post_policy(self, credential: PostPolicySignature) -> Principal:
        if not is_key_id(credential.access_key_id):
            raise AuthenticationError("malformed access key id", reason="invalid_access_key_id")
        now = self._clock()
        if now > credential.expires_at:
            raise AuthenticationError("Invalid according to Policy: Policy expired.")
        if credential.scope is not None:
            try:
                sigv4.check_scope(*credential.scope)
            except AuthenticationError as exc:
                raise AuthenticationError(exc.message, reason="malformed") from None
        key, user, secret = self._access_key(credential.access_key_id)
        if credential.scope is None:
            expected = sigv2.signature(secret, credential.policy)
        else:
            signing_key = sigv4.signing_key(secret, *credential.scope)
            expected = sigv4.signature(signing_key, credential.policy)
        if not hmac.compare_digest(
            expected.encode("ascii"), credential.signature.encode("utf-8", "replace")
        ):
            raise AuthenticationError(
                "the signature does not match the policy", reason="signature_mismatch"
            )
        return self._key_principal(key, user, now)

    def _sigv4(self, credential: SigV4Signature) -> Principal:
        return self._sigv4_with_key(credential)[0]

    def _sigv4_with_key(self, credential: SigV4Signature) -> tuple[Principal, bytes]:
        if not is_key_id(credential.access_key_id):
            raise AuthenticationError("malformed access key id", reason="invalid_access_key_id")
        try:
            sigv4.check_scope(credential.date, credential.region, credential.service)
            signed = sigv4.parse_string_to_sign(credential.string_to_sign)
        except AuthenticationError as exc:
            raise AuthenticationError(exc.message, reason="malformed") from None
        scope = sigv4.scope(credential.date, credential.region, credential.service)
        if signed.scope != scope or signed.at.strftime("%Y%m%d") != credential.date:
            raise AuthenticationError(
                "the credential scope does not match the string to sign", reason="malformed"
            )
        now = self._clock()
        try:
            sigv4.check_time(signed, now, credential.expires_in)
        except AuthenticationError as exc:
            raise AuthenticationError(exc.message, reason="request_time_skewed") from None
        scoped = (credential.access_key_id, credential.date, credential.region, credential.service)
        cache = self._signing_keys if self._signing_keys and self._signing_keys.keeps else None
        epoch = cache.epoch() if cache is not None else ""
        cached = cache.get(scoped, epoch) if cache is not None else None
        if cached is not None:
            key, user, signing_key = cached.key, cached.user, cached.signing_key
        else:
            key, user, secret = self._access_key(credential.access_key_id)
            signing_key = sigv4.signing_key(
                secret, credential.date, credential.region, credential.service
            )
        expected = sigv4.signature(signing_key, credential.string_to_sign).encode("ascii")
        if not hmac.compare_digest(expected, credential.signature.encode("utf-8", "replace")):
            raise AuthenticationError(
                "the signature does not match the request", reason="signature_mismatch"
            )
        touched = _touch_due(key, now)
        principal = self._key_principal(key, user, now)
        if cache is not None and (cached is None or touched):
            # The key as it now stands, last use included, so entries do not touch it again.
            seen = replace(key, last_used_at=now) if touched else key
            cache.put(scoped, epoch, seen, user, signing_key)
        return principal, signing_key


def _touch_due(key: AccessKey, now: datetime) -> bool:
    """Whether a use of ``key`` now is to be recorded as its last."""
    return key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY


def _full_scope(user: User) -> Scope:
    """What a password or a session may do: everything the user may."""
    return Scope.ADMIN if user.is_admin else Scope.WRITE


def _check_enabled(user: User) -> None:
    if user.disabled:
        raise AuthenticationError("this account is disabled")
