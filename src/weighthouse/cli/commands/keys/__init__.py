"""Manage the keys that sign session tokens (on the server's machine).

The ring is a file beside the catalog (<data-dir>/secrets/session-keys.json, or
WEIGHTHOUSE_AUTH__SESSION_KEY_FILE). The newest key signs new sessions; every key in the ring
verifies. Rotate to start signing with a new key without signing anyone out; retire an old key
to sign out exactly the sessions it signed. A running server notices the change on its next
request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from weighthouse.cli.failures import CommandError
from weighthouse.cli.local import check_deployment, server_settings


class KeyView(Protocol):
    """A key of the ring as the signer shows it: never its secret."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def signing(self) -> bool: ...


@runtime_checkable
class KeyRing(Protocol):
    """What the session signer offers for administration beyond the domain's port."""

    def keys(self) -> Sequence[KeyView]: ...

    def rotate(self) -> str: ...

    def retire(self, kid: str) -> None: ...


def open_ring(
    config_file: Path | None, data_dir: Path | None, *, must_exist: bool = True
) -> tuple[KeyRing, Path]:
    """The session signer of the server's settings, and its key file, once the catalog and
    the blob store are known to be one deployment. With ``must_exist`` a missing file is an
    error rather than a new ring."""
    # Imported here: only these commands need the composition root.
    from weighthouse.bootstrap import create_session_signer

    settings = server_settings(config_file, data_dir)
    check_deployment(settings)
    path = settings.session_key_file
    if must_exist and not path.exists():
        raise CommandError(
            f"no session key ring at {path}: the server makes one on its first sign-in "
            "(or check --config / --data-dir / WEIGHTHOUSE_DATA_DIR)"
        )
    signer = create_session_signer(settings)
    if not isinstance(signer, KeyRing):
        raise CommandError(f"the session signer {signer!r} cannot list or retire keys")
    return signer, path


def ring_failure(exc: RuntimeError) -> CommandError:
    """The signer's ``KeyRingError`` (an unreadable or unwritable file) as one line."""
    return CommandError(str(exc))
