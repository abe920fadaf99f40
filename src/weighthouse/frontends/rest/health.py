"""Liveness and readiness for load balancers and Kubernetes."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from weighthouse.domain.errors import StorageError
from weighthouse.frontends.rest.dependencies import Wired
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import Health

router = APIRouter(tags=["health"], route_class=JsonLimitRoute)

READY_BUDGET_SECONDS = 1.5
"""``/readyz`` answers within this, whatever its dependencies do."""


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up and its event loop answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request, hub: Wired) -> JSONResponse:
    """The catalog and the blob store are reachable, and the disks above the free-space
    floor (``min_free_bytes``). All are asked at once, and the answer comes within 1.5 s: a
    dependency that has not answered by then is named as failing."""
    probes: dict[str, Callable[[], None]] = {
        "catalog": hub.catalog.check_ready,
        "blobs": hub.blobs.check_ready,
        "disk": hub.room.check_free,
    }
    checks = dict.fromkeys(probes, f"no answer within {READY_BUDGET_SECONDS} s")
    # Probes draw threads of their own: a stuck database must not take the request threads.
    limiter = getattr(request.app.state, "probes", None)

    async def probe(name: str, check: Callable[[], None]) -> None:
        try:
            # A probe that outlives the budget is left to finish in its thread.
            await anyio.to_thread.run_sync(check, abandon_on_cancel=True, limiter=limiter)
            checks[name] = "ok"
        except StorageError as exc:
            checks[name] = exc.message

    with anyio.move_on_after(READY_BUDGET_SECONDS):
        async with anyio.create_task_group() as group:
            for name, check in probes.items():
                group.start_soon(probe, name, check)
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
