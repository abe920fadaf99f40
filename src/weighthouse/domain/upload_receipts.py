"""Upload receipts: what a two-step upload hands back between storing the bytes and using them.

The model catalog's gRPC API uploads a file in one call and makes a version of it in a second,
naming the upload by the string the first call returned. That string used to be a server path
the second call opened, so any path the server could read became a "version". A receipt is
instead a signed statement, under the session key ring, that *this user* stored *this blob*
(SHA-256 and size, under a file name) for *this repo*, valid for the garbage collector's grace
period, during which the upload itself is the user's proof of the blob. Redeeming checks the
signature and every field against the caller and the repo, so a receipt is useless to another
user, for another model, or once it has expired; anything else is refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from weighthouse.domain.access import Principal, require_user
from weighthouse.domain.errors import AuthenticationError, InvalidInputError
from weighthouse.domain.model import BlobDigest, Repo
from weighthouse.domain.ports import Clock, SessionSigner

USE = "upload-receipt"
"""The claim that tells a receipt from a session token or an upload ticket."""
REFUSED = "not an upload reference of yours for this model: upload the file again"


@dataclass(frozen=True)
class Receipt:
    """The upload a valid receipt names."""

    sha256: str
    size: int
    filename: str


class UploadReceipts:
    def __init__(self, clock: Clock, signer: SessionSigner, *, lifetime: timedelta) -> None:
        self._clock = clock
        self._signer = signer
        self._lifetime = lifetime

    def issue(self, principal: Principal, repo: Repo, digest: BlobDigest, filename: str) -> str:
        """A receipt for ``principal``'s upload of ``digest`` as ``filename`` for ``repo``; the
        caller stored the blob through an access-checked use case."""
        user = require_user(principal)
        expires = int((self._clock() + self._lifetime).timestamp())
        return self._signer.sign(
            {
                "use": USE,
                "usr": user.id,
                "repo": repo.id,
                "oid": digest.sha256,
                "size": digest.size,
                "name": filename,
                "exp": expires,
            }
        )

    def redeem(self, principal: Principal, repo: Repo, receipt: str) -> Receipt:
        """The upload ``receipt`` names, if it was issued to ``principal`` for ``repo`` and has
        not expired. Raises ``InvalidInputError`` otherwise (for a server path, a receipt of
        another user or model, or a forged one alike), ``AuthenticationError`` when anonymous."""
        user = require_user(principal)
        try:
            claims = self._signer.verify(receipt)
        except AuthenticationError:
            raise InvalidInputError(REFUSED) from None
        expires, size = claims.get("exp"), claims.get("size")
        sha256, filename = claims.get("oid"), claims.get("name")
        if (
            claims.get("use") != USE
            or claims.get("usr") != user.id
            or claims.get("repo") != repo.id
            or not isinstance(expires, int)
            or expires <= self._clock().timestamp()
            or not isinstance(size, int)
            or not isinstance(sha256, str)
            or not isinstance(filename, str)
        ):
            raise InvalidInputError(REFUSED)
        return Receipt(sha256=sha256, size=size, filename=filename)
