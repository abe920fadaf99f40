"""Routes for S3 access keys (``/api/access-keys``), with their request and response bodies.

The secret is in the answer to ``POST`` only; listings never show it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from weighthouse import wire
from weighthouse.domain.model import AccessKey, Scope
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import Strict

router = APIRouter(prefix=wire.ACCESS_KEYS_PREFIX, tags=["access keys"], route_class=JsonLimitRoute)


class AccessKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"
    user: str | None = Field(default=None, description="admins only: make it for this user")
    expires_at: AwareDatetime | None = Field(
        default=None, description="with a time zone, e.g. 2027-01-01T00:00:00Z"
    )
    buckets: list[str] = Field(
        default=[],
        max_length=100,
        description="only these namespaces ('ns') or buckets ('ns/name')",
    )


class AccessKeyOut(BaseModel):
    id: str = Field(description="the access key id, e.g. WH4Q7...; not a secret")
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    buckets: list[str]

    @classmethod
    def of(cls, key: AccessKey) -> AccessKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            scope=key.scope,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            buckets=list(key.buckets),
        )


class AccessKeyCreated(AccessKeyOut):
    secret: str = Field(description="the secret access key; shown once, never again")


@router.post("", response_model=AccessKeyCreated, status_code=201)
def create_access_key(body: AccessKeyCreate, caller: Caller, hub: Wired) -> AccessKeyCreated:
    """A new access key for S3 clients; its secret is in this answer only."""
    issued = hub.access_keys.create(
        caller,
        body.name,
        Scope(body.scope),
        for_user=body.user,
        expires_at=body.expires_at,
        buckets=body.buckets,
    )
    return AccessKeyCreated(**AccessKeyOut.of(issued.key).model_dump(), secret=issued.secret)


@router.get("", response_model=list[AccessKeyOut])
def list_access_keys(
    caller: Caller, hub: Wired, user: Annotated[str | None, Query(max_length=200)] = None
) -> list[AccessKeyOut]:
    """Your access keys (admins: any user's). Secrets are never shown again."""
    return [AccessKeyOut.of(k) for k in hub.access_keys.list(caller, for_user=user)]


@router.delete("/{key_id}", status_code=204)
def revoke_access_key(key_id: str, caller: Caller, hub: Wired) -> Response:
    """Revoke at once: requests signed with it fail from now on."""
    hub.access_keys.revoke(caller, key_id)
    return Response(status_code=204)
