"""Liveness and readiness for load balancers and Kubernetes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from weighthouse.domain.errors import StorageError
from weighthouse.frontends.rest.dependencies import Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import Health

router = APIRouter(tags=["health"], route_class=JsonLimitRoute)


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up and its event loop answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(hub: Wired) -> JSONResponse:
    """The catalog and the blob store are reachable, and the disks above the free-space
    floor (``min_free_bytes``)."""
    checks: dict[str, str] = {}
    probes = (
        ("catalog", hub.catalog.check_ready),
        ("blobs", hub.blobs.check_ready),
        ("disk", hub.room.check_free),
    )
    for name, probe in probes:
        try:
            await run_in_threadpool(probe)
            checks[name] = "ok"
        except StorageError as exc:
            checks[name] = exc.message
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
