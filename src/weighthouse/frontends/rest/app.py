"""The REST application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

import weighthouse
from weighthouse.bootstrap import Container, usable_cores
from weighthouse.frontends.hf import wire as hf_wire
from weighthouse.frontends.hf.app import create_hub_app
from weighthouse.frontends.hf.xet.cas import XORBS_PER_CORE
from weighthouse.frontends.rest import (
    access_keys,
    access_requests,
    accounts,
    buckets,
    discussions,
    errors,
    files,
    health,
    jobs,
    operations,
    orgs,
    repos,
    worker_api,
)
from weighthouse.frontends.rest.object_route import ObjectRoute
from weighthouse.frontends.rest.ref_segments import RefSegmentMiddleware
from weighthouse.frontends.rest.url_encoding import Utf8UrlMiddleware


def create_rest_app(container: Container) -> FastAPI:
    @asynccontextmanager
    async def threads(app: FastAPI) -> AsyncIterator[None]:
        # Short catalog calls share a small pool: with many threads the GIL hand-offs cost
        # more than they give (4 threads served 1.5x the small GETs of 40 here). Uploads hold
        # a thread for their whole stream, so they draw on a limiter of their own.
        server = container.settings.server
        anyio.to_thread.current_default_thread_limiter().total_tokens = server.threads
        app.state.transfers = anyio.CapacityLimiter(server.max_transfers)
        # The Hub API's Xet xorbs, up to a push's whole batch at once, take fewer (cas.py).
        app.state.xorb_threads = anyio.CapacityLimiter(XORBS_PER_CORE * usable_cores())
        # Readiness probes wait on dependencies that may hang; they get threads of their own.
        app.state.probes = anyio.CapacityLimiter(4)
        # The hot object reads not made on the event loop (loop_reads) make their one trip
        # through an executor of their own, a cheaper hand-off than anyio's (thread_hops.py).
        app.state.reads = ThreadPoolExecutor(server.threads, thread_name_prefix="weighthouse-read")
        # Small uploads, read whole before their one trip, take the same cheaper hand-off. They
        # wait on fsyncs and share catalog commits, so they need as many threads as uploads
        # may run at once, the bound the transfers limiter sets for streamed ones.
        app.state.small_writes = ThreadPoolExecutor(
            server.max_transfers, thread_name_prefix="weighthouse-write"
        )
        try:
            yield
        finally:
            app.state.reads.shutdown(wait=False)
            app.state.small_writes.shutdown(wait=False)

    app = FastAPI(
        title="Weighthouse",
        version=weighthouse.__version__,
        description="Model weights, datasets and buckets on one content-addressed store.",
        lifespan=threads,
        # The composition root serves the documentation pages from packaged assets
        # (weighthouse.api_docs); FastAPI's own would load them from a CDN.
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry instrumentation asked the three global providers whether
        # they are configured on every request (23 µs of a 4 KiB GET's ~450); Weighthouse
        # configures none and emits no telemetry, so it is off rather than asked each time.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    app.state.transfer_slots = container.transfer_slots
    errors.install(app)
    # Innermost of the three: the hot object requests skip the router, after the URL checks.
    app.add_middleware(ObjectRoute, container=container, handlers=app.exception_handlers)
    # Added before the UTF-8 check, so it runs inside it and sees only UTF-8 paths.
    app.add_middleware(RefSegmentMiddleware)
    app.add_middleware(Utf8UrlMiddleware)
    app.include_router(health.router)
    app.include_router(accounts.router)
    app.include_router(access_keys.router)
    app.include_router(orgs.router)
    app.include_router(buckets.router)
    app.include_router(repos.router)
    app.include_router(files.router)
    app.include_router(jobs.router)
    app.include_router(worker_api.router)
    app.include_router(access_requests.router)
    app.include_router(discussions.router)
    operations.document_operations(app)
    if container.settings.hf.enabled:
        app.mount(hf_wire.MOUNT, create_hub_app(container))
    return app
