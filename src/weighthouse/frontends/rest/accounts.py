"""Routes for identity: sign-up, sign-in, sessions, passwords, users, tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from weighthouse import wire
from weighthouse.frontends.rest.dependencies import Caller, Wired, client_address
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import (
    AuditOut,
    PasswordChange,
    SessionOut,
    SignIn,
    SignUp,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
    WhoAmI,
)

router = APIRouter(prefix=wire.API_PREFIX, tags=["accounts"], route_class=JsonLimitRoute)


@router.get("/whoami", response_model=WhoAmI)
def whoami(caller: Caller) -> WhoAmI:
    """Who the credential belongs to and its scope; both null without one."""
    if caller.user is None:
        return WhoAmI(user=None, scope=None)
    return WhoAmI(user=UserOut.of(caller.user), scope=caller.scope)


@router.post("/signup", response_model=UserOut, status_code=201)
def sign_up(body: SignUp, request: Request, hub: Wired) -> UserOut:
    """Create an account (when sign-up is switched on)."""
    user = hub.users.sign_up(body.name, body.password, client=client_address(request))
    return UserOut.of(user)


@router.post("/signin", response_model=SessionOut)
def sign_in(body: SignIn, request: Request, hub: Wired) -> SessionOut:
    """Exchange a user name and password for a session token."""
    issued = hub.sessions.sign_in(body.name, body.password, client=client_address(request))
    return SessionOut(
        token=issued.token, expires_at=issued.session.expires_at, user=UserOut.of(issued.user)
    )


@router.post("/signout", status_code=204)
def sign_out(caller: Caller, hub: Wired) -> Response:
    """End the session the request was made with (API tokens are revoked instead)."""
    hub.sessions.sign_out(caller)
    return Response(status_code=204)


@router.put("/password", status_code=204)
def change_password(body: PasswordChange, request: Request, caller: Caller, hub: Wired) -> Response:
    """Change your own password; the current one must be given."""
    hub.users.change_password(caller, body.current, body.new, client=client_address(request))
    return Response(status_code=204)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, caller: Caller, hub: Wired) -> UserOut:
    """Create an account (site admins)."""
    user = hub.users.create(caller, body.name, is_admin=body.is_admin, password=body.password)
    return UserOut.of(user)


@router.get("/users", response_model=list[UserOut])
def list_users(caller: Caller, hub: Wired) -> list[UserOut]:
    """Every account (site admins)."""
    return [UserOut.of(u) for u in hub.users.list(caller)]


@router.patch("/users/{name}", response_model=UserOut)
def update_user(name: str, body: UserUpdate, caller: Caller, hub: Wired) -> UserOut:
    """Disable or enable an account (site admins)."""
    return UserOut.of(hub.users.set_disabled(caller, name, body.disabled))


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, caller: Caller, hub: Wired) -> TokenCreated:
    """A new API token; its secret is in this answer only. Admins may issue one for another user."""
    issued = hub.tokens.create(
        caller,
        body.name,
        body.scope,
        for_user=body.user,
        expires_at=body.expires_at,
        restrict_to=body.restrict_to,
    )
    return TokenCreated(**TokenOut.of(issued.token).model_dump(), token=issued.secret)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(
    caller: Caller, hub: Wired, user: Annotated[str | None, Query(max_length=200)] = None
) -> list[TokenOut]:
    """Your tokens (admins: any user's). Secrets are never shown again."""
    return [TokenOut.of(t) for t in hub.tokens.list(caller, for_user=user)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, caller: Caller, hub: Wired) -> Response:
    """Revoke one of your tokens (admins: anyone's); it fails at once from then on."""
    hub.tokens.revoke(caller, token_id)
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    caller: Caller,
    hub: Wired,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
) -> list[AuditOut]:
    """Security events, newest first (site admins)."""
    events = hub.audit.list(caller, before=before, limit=limit, actor=actor, action=action)
    return [AuditOut.of(e) for e in events]
