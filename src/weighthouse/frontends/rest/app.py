"""The REST application factory."""

from __future__ import annotations

from fastapi import FastAPI

import weighthouse
from weighthouse.bootstrap import Container
from weighthouse.frontends.rest import accounts, buckets, errors, files, health, orgs, repos
from weighthouse.frontends.rest.schemas import ErrorOut

_ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "invalid input"),
        (401, "no or bad credentials"),
        (403, "not allowed"),
        (404, "not found, or private"),
        (409, "conflict"),
        (413, "too large"),
        (429, "too many attempts; see Retry-After"),
        (503, "storage unavailable; retry"),
    )
}


def create_rest_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="Weighthouse",
        version=weighthouse.__version__,
        description="Model weights, datasets and buckets on one content-addressed store.",
        responses=_ERRORS,
    )
    app.state.container = container
    errors.install(app)
    app.include_router(health.router)
    app.include_router(accounts.router)
    app.include_router(orgs.router)
    app.include_router(buckets.router)
    app.include_router(repos.router)
    app.include_router(files.router)
    return app
