"""Routes for the caller's identity, users (admins) and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from weighthouse.frontends.rest.auth import Caller, Wired
from weighthouse.frontends.rest.schemas import (
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    WhoAmI,
)

router = APIRouter(prefix="/api", tags=["accounts"])


@router.get("/whoami", response_model=WhoAmI)
def whoami(caller: Caller) -> WhoAmI:
    if caller.user is None:
        return WhoAmI(user=None, scope=None)
    return WhoAmI(user=UserOut.of(caller.user), scope=caller.scope)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, caller: Caller, hub: Wired) -> UserOut:
    return UserOut.of(hub.accounts.create_user(caller, body.name, is_admin=body.is_admin))


@router.get("/users", response_model=list[UserOut])
def list_users(caller: Caller, hub: Wired) -> list[UserOut]:
    return [UserOut.of(u) for u in hub.accounts.list_users(caller)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, caller: Caller, hub: Wired) -> TokenCreated:
    issued = hub.accounts.create_token(
        caller, body.name, body.scope, for_user=body.user, expires_at=body.expires_at
    )
    return TokenCreated(**TokenOut.of(issued.token).model_dump(), token=issued.secret)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(caller: Caller, hub: Wired) -> list[TokenOut]:
    return [TokenOut.of(t) for t in hub.accounts.list_tokens(caller)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, caller: Caller, hub: Wired) -> Response:
    hub.accounts.revoke_token(caller, token_id)
    return Response(status_code=204)
