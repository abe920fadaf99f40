"""Upload tickets: a short-lived, signed permission to upload one object, carried in a URL.

Some clients send an upload to a URL the server handed out and attach no credentials to it
(git-lfs ``basic`` transfers from ``huggingface_hub``). The ticket names the caller who asked,
the credential they used, the repo and the object (SHA-256 and size), and an expiry, under
the server's session key ring. Redeeming it checks the signature, every field, and that the
user and the credential are still active, so revoking a token voids its tickets at once.

A ticket or Xet token issued for a pull request's upload says so, and redeeming it gives that
back, so the upload it carries is checked by the same rule as the request that issued it
(:func:`~weighthouse.domain.repos.find_upload_target`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from weighthouse.domain.access import Principal
from weighthouse.domain.catalog import SessionCatalog, TokenCatalog, UserCatalog
from weighthouse.domain.errors import (
    AuthenticationError,
    SessionNotFoundError,
    TokenNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import RepoId, RepoType, Scope
from weighthouse.domain.ports import Clock, SessionSigner

USE = "upload"
"""The claim that tells a ticket from a session token signed by the same key ring."""
XET_USE = "xet-write"
"""The claim of a Xet write token: uploads of xorbs and shards for one repo."""
TTL = timedelta(hours=1)
XET_TTL = timedelta(minutes=15)
"""Xet clients fetch a new token from the Hub API shortly before this runs out."""


@dataclass(frozen=True)
class UploadGrant:
    """What a redeemed ticket or Xet token allows: ``principal`` uploads for ``repo_id``,
    for a pull request only when ``for_pull_request``."""

    principal: Principal
    repo_id: RepoId
    for_pull_request: bool = False


class TicketCatalog(UserCatalog, TokenCatalog, SessionCatalog, Protocol):
    """What redeeming reads: the user and the credential behind the ticket."""


class UploadTickets:
    def __init__(self, catalog: TicketCatalog, clock: Clock, signer: SessionSigner) -> None:
        self._catalog = catalog
        self._clock = clock
        self._signer = signer

    def issue_xet(
        self, principal: Principal, repo_id: RepoId, *, for_pull_request: bool = False
    ) -> tuple[str, int]:
        """A Xet write token for ``principal`` and ``repo_id``, and when it expires (Unix
        seconds). The caller has already been checked for the right to upload there."""
        if principal.user is None:
            raise AuthenticationError("send a token: Authorization: Bearer <token>")
        expires = int((self._clock() + XET_TTL).timestamp())
        claims = self._principal_claims(principal)
        token = self._signer.sign(
            {
                "use": XET_USE,
                **claims,
                "repo": _repo_claim(repo_id),
                **_purpose_claim(for_pull_request),
                "exp": expires,
            }
        )
        return token, expires

    def redeem_xet(self, token: str) -> UploadGrant:
        """What an authentic, unexpired Xet write token whose user and credential are still
        active allows; ``AuthenticationError`` otherwise."""
        invalid = "this Xet token is not valid"
        claims = self._signer.verify(token)
        repo = claims.get("repo")
        if claims.get("use") != XET_USE or not isinstance(repo, str):
            raise AuthenticationError(invalid)
        kind, _, full_name = repo.partition(":")
        namespace, _, name = full_name.partition("/")
        try:
            repo_id = RepoId(RepoType(kind), namespace, name)
        except ValueError:
            raise AuthenticationError(invalid) from None
        return UploadGrant(self._principal(claims, invalid), repo_id, _for_pull_request(claims))

    def _principal_claims(self, principal: Principal) -> dict[str, str]:
        assert principal.user is not None
        return {
            "usr": principal.user.id,
            "scp": principal.scope.value,
            "tok": principal.token_id or "",
            "ses": principal.session_id or "",
            "rst": ",".join(principal.restrict_to),
        }

    def issue(
        self,
        principal: Principal,
        repo_id: RepoId,
        sha256: str,
        size: int,
        *,
        for_pull_request: bool = False,
    ) -> str:
        """A ticket for ``principal`` to upload the object ``sha256`` of ``size`` bytes for
        ``repo_id``. The caller has already been checked for the right to upload there."""
        if principal.user is None:
            raise AuthenticationError("send a token: Authorization: Bearer <token>")
        expires = int((self._clock() + TTL).timestamp())
        return self._signer.sign(
            {
                "use": USE,
                **self._principal_claims(principal),
                "repo": _repo_claim(repo_id),
                "oid": sha256,
                "size": size,
                **_purpose_claim(for_pull_request),
                "exp": expires,
            }
        )

    def redeem(self, ticket: str, repo_id: RepoId, sha256: str, size: int) -> UploadGrant:
        """What a ticket allows, if it is authentic, unexpired, for exactly this repo and
        object, and its user and credential are still active. Raises
        ``AuthenticationError`` otherwise, without saying which check failed."""
        claims = self._signer.verify(ticket)
        expected = {
            "use": USE,
            "repo": _repo_claim(repo_id),
            "oid": sha256,
            "size": size,
        }
        if any(claims.get(k) != v for k, v in expected.items()):
            raise AuthenticationError("this upload link is not valid for this object")
        principal = self._principal(claims, "this upload link is not valid for this object")
        return UploadGrant(principal, repo_id, _for_pull_request(claims))

    def _principal(self, claims: Mapping[str, object], invalid: str) -> Principal:
        """The principal ``claims`` name, if unexpired and still active."""
        now = self._clock()
        expires = claims.get("exp")
        if not (isinstance(expires, int) and expires > now.timestamp()):
            raise AuthenticationError(invalid)
        user_id, token_id, session_id = claims.get("usr"), claims.get("tok"), claims.get("ses")
        scope, restrict = claims.get("scp"), claims.get("rst")
        if not all(isinstance(v, str) for v in (user_id, token_id, session_id, scope, restrict)):
            raise AuthenticationError(invalid)
        assert isinstance(user_id, str) and isinstance(token_id, str)
        assert isinstance(session_id, str) and isinstance(scope, str) and isinstance(restrict, str)
        try:
            user = self._catalog.get_user_by_id(user_id)
            if token_id and not self._catalog.get_token(token_id).is_active(now):
                raise AuthenticationError("the token behind this upload link has ended")
            if session_id and not self._catalog.get_session(session_id).is_active(now):
                raise AuthenticationError("the session behind this upload link has ended")
        except (UserNotFoundError, TokenNotFoundError, SessionNotFoundError):
            raise AuthenticationError(invalid) from None
        if user.disabled:
            raise AuthenticationError("this account is disabled")
        return Principal(
            user=user,
            scope=Scope(scope),
            token_id=token_id or None,
            session_id=session_id or None,
            restrict_to=tuple(restrict.split(",")) if restrict else (),
        )


def _repo_claim(repo_id: RepoId) -> str:
    return f"{repo_id.type.value}:{repo_id}"


def _purpose_claim(for_pull_request: bool) -> dict[str, int]:
    """Only pull request uploads carry the claim, so tickets issued before it existed keep
    meaning what they meant: uploads for a branch."""
    return {"pr": 1} if for_pull_request else {}


def _for_pull_request(claims: Mapping[str, object]) -> bool:
    return claims.get("pr") == 1
