"""Upload tickets: a short-lived, signed permission to upload one object, carried in a URL.

Some clients send an upload to a URL the server handed out and attach no credentials to it
(git-lfs ``basic`` transfers from ``huggingface_hub``). The ticket names the caller who asked,
the credential they used, the repo and the object (SHA-256 and size), and an expiry, under
the server's session key ring. Redeeming it checks the signature, every field, and that the
user and the credential are still active, so revoking a token voids its tickets at once.
"""

from __future__ import annotations

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
from weighthouse.domain.model import RepoId, Scope
from weighthouse.domain.ports import Clock, SessionSigner

USE = "upload"
"""The claim that tells a ticket from a session token signed by the same key ring."""
TTL = timedelta(hours=1)


class TicketCatalog(UserCatalog, TokenCatalog, SessionCatalog, Protocol):
    """What redeeming reads: the user and the credential behind the ticket."""


class UploadTickets:
    def __init__(self, catalog: TicketCatalog, clock: Clock, signer: SessionSigner) -> None:
        self._catalog = catalog
        self._clock = clock
        self._signer = signer

    def issue(self, principal: Principal, repo_id: RepoId, sha256: str, size: int) -> str:
        """A ticket for ``principal`` to upload the object ``sha256`` of ``size`` bytes for
        ``repo_id``. The caller has already been checked for the right to upload there."""
        if principal.user is None:
            raise AuthenticationError("send a token: Authorization: Bearer <token>")
        expires = int((self._clock() + TTL).timestamp())
        return self._signer.sign(
            {
                "use": USE,
                "usr": principal.user.id,
                "scp": principal.scope.value,
                "tok": principal.token_id or "",
                "ses": principal.session_id or "",
                "rst": ",".join(principal.restrict_to),
                "repo": f"{repo_id.type.value}:{repo_id}",
                "oid": sha256,
                "size": size,
                "exp": expires,
            }
        )

    def redeem(self, ticket: str, repo_id: RepoId, sha256: str, size: int) -> Principal:
        """The principal a ticket was issued to, if it is authentic, unexpired, for exactly
        this repo and object, and its user and credential are still active. Raises
        ``AuthenticationError`` otherwise, without saying which check failed."""
        claims = self._signer.verify(ticket)
        now = self._clock()
        expected = {
            "use": USE,
            "repo": f"{repo_id.type.value}:{repo_id}",
            "oid": sha256,
            "size": size,
        }
        expires = claims.get("exp")
        if any(claims.get(k) != v for k, v in expected.items()) or not (
            isinstance(expires, int) and expires > now.timestamp()
        ):
            raise AuthenticationError("this upload link is not valid for this object")
        user_id, token_id, session_id = claims.get("usr"), claims.get("tok"), claims.get("ses")
        scope, restrict = claims.get("scp"), claims.get("rst")
        if not all(isinstance(v, str) for v in (user_id, token_id, session_id, scope, restrict)):
            raise AuthenticationError("this upload link is not valid for this object")
        assert isinstance(user_id, str) and isinstance(token_id, str)
        assert isinstance(session_id, str) and isinstance(scope, str) and isinstance(restrict, str)
        try:
            user = self._catalog.get_user_by_id(user_id)
            if token_id and not self._catalog.get_token(token_id).is_active(now):
                raise AuthenticationError("the token behind this upload link has ended")
            if session_id and not self._catalog.get_session(session_id).is_active(now):
                raise AuthenticationError("the session behind this upload link has ended")
        except (UserNotFoundError, TokenNotFoundError, SessionNotFoundError):
            raise AuthenticationError("this upload link is not valid for this object") from None
        if user.disabled:
            raise AuthenticationError("this account is disabled")
        return Principal(
            user=user,
            scope=Scope(scope),
            token_id=token_id or None,
            session_id=session_id or None,
            restrict_to=tuple(restrict.split(",")) if restrict else (),
        )
