"""Where ``weighthouse login`` keeps the server URL and token between commands.

The file is ``$WEIGHTHOUSE_CONFIG_DIR/config.json`` (default ``~/.config/weighthouse``), JSON
``{"url": ..., "token": ...}``, readable by its owner only: it holds a secret. The token is an
API token (``login --token``) or a session token (``login --user``).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from weighthouse.client import is_session_token

CONFIG_DIR_ENV = "WEIGHTHOUSE_CONFIG_DIR"
FILE_NAME = "config.json"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str | None = field(default=None, repr=False)

    @property
    def is_session(self) -> bool:
        """Whether the token is a session from ``login --user`` (ended by ``logout``) rather
        than an API token (which stays valid until revoked)."""
        return is_session_token(self.token)


def config_path() -> Path:
    base = os.environ.get(CONFIG_DIR_ENV)
    folder = Path(base) if base else Path.home() / ".config" / "weighthouse"
    return folder / FILE_NAME


def load() -> Credentials | None:
    """The stored credentials; ``None`` when nobody logged in or the file is unreadable junk
    (a command then behaves as logged out rather than crashing)."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    token = data.get("token")
    return Credentials(data["url"], token if isinstance(token, str) else None)


def save(credentials: Credentials) -> Path:
    """Write the file atomically with mode 0600 (its folder 0700); returns its path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"url": credentials.url, "token": credentials.token}, indent=2) + "\n"
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    # Created 0600 from the start: a chmod after writing would leave a window where the
    # token is readable by others.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        temporary.chmod(0o600)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def clear() -> bool:
    """Forget the stored credentials; ``False`` when there were none."""
    try:
        config_path().unlink()
    except FileNotFoundError:
        return False
    return True
