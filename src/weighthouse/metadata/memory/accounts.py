"""Users, tokens and sessions of the in-memory catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from weighthouse.domain.errors import (
    SessionNotFoundError,
    TokenNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Session, Token, User
from weighthouse.domain.names import folded_name
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc, utf8


def name_taken(name: str) -> UserExistsError:
    return UserExistsError(f"the name {name!r} is taken by a user or an organisation", user=name)


class MemoryAccounts(MemoryTables):
    # --- users ------------------------------------------------------------------------------
    def add_user(self, user: User) -> None:
        with self._lock:
            tables = self._tables
            if folded_name(user.name) in tables.namespaces or user.id in tables.users:
                raise name_taken(user.name)
            tables.namespaces[folded_name(user.name)] = "user"
            tables.users[user.id] = in_utc(user)
            tables.user_ids[user.name] = user.id

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self._lock:
            user = self._user_by_id(user_id)
            self._tables.users[user_id] = replace(user, password_hash=password_hash)
            self._bump_credential_epoch()

    def set_user_disabled(self, user_id: str, disabled: bool) -> None:
        with self._lock:
            user = self._user_by_id(user_id)
            self._tables.users[user_id] = replace(user, disabled=disabled)
            self._bump_credential_epoch()

    def get_user(self, name: str) -> User:
        with self._lock:
            user_id = self._tables.user_ids.get(name)
            if user_id is None:
                raise UserNotFoundError(f"no user {name!r}", user=name)
            return self._tables.users[user_id]

    def get_user_by_id(self, user_id: str) -> User:
        with self._lock:
            return self._user_by_id(user_id)

    def list_users(self) -> list[User]:
        with self._lock:
            return sorted(self._tables.users.values(), key=lambda user: utf8(user.name))

    def count_users(self) -> int:
        with self._lock:
            return len(self._tables.users)

    def _user_by_id(self, user_id: str) -> User:
        user = self._tables.users.get(user_id)
        if user is None:
            raise UserNotFoundError(f"no user with id {user_id!r}", user_id=user_id)
        return user

    # --- tokens -----------------------------------------------------------------------------
    def add_token(self, token: Token) -> None:
        with self._lock:
            self._user_by_id(token.user_id)
            if token.id in self._tables.tokens:
                raise ValueError(f"a token with id {token.id!r} exists")
            stored = replace(token, restrict_to=tuple(token.restrict_to))
            self._tables.tokens[token.id] = in_utc(stored)

    def get_token(self, token_id: str) -> Token:
        with self._lock:
            token = self._tables.tokens.get(token_id)
        if token is None:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id)
        return token

    def list_tokens(self, user_id: str) -> list[Token]:
        with self._lock:
            mine = [t for t in self._tables.tokens.values() if t.user_id == user_id]
        return sorted(mine, key=lambda token: (token.created_at, token.id))

    def revoke_token(self, token_id: str, at: datetime) -> None:
        with self._lock:
            token = self.get_token(token_id)
            if token.revoked_at is None:
                self._tables.tokens[token_id] = replace(token, revoked_at=utc(at))
            self._bump_credential_epoch()

    def touch_token(self, token_id: str, at: datetime) -> None:
        with self._lock:
            token = self._tables.tokens.get(token_id)
            if token is not None:
                self._tables.tokens[token_id] = replace(token, last_used_at=utc(at))

    # --- sessions ---------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        with self._lock:
            self._user_by_id(session.user_id)
            if session.id in self._tables.sessions:
                raise ValueError(f"a session with id {session.id!r} exists")
            self._tables.sessions[session.id] = in_utc(session)

    def get_session(self, session_id: str) -> Session:
        with self._lock:
            session = self._tables.sessions.get(session_id)
        if session is None:
            raise SessionNotFoundError(f"no session {session_id!r}", session=session_id)
        return session

    def revoke_session(self, session_id: str, at: datetime) -> None:
        with self._lock:
            session = self._tables.sessions.get(session_id)
            if session is not None and session.revoked_at is None:
                self._tables.sessions[session_id] = replace(session, revoked_at=utc(at))
            self._bump_credential_epoch()
