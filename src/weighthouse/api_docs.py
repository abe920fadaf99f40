"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, with no network.

FastAPI's own pages load their scripts and styles from a CDN, so an offline site or a closed
network shows a blank page. The assets here come from the ``fastapi-offline`` distribution
(a runtime dependency) and are served by the app itself under :data:`ASSETS_PREFIX`; the pages
name nothing outside the server (no CDN, no web fonts).

This module reads package files, which front-ends may not do, so the composition root mounts
it (``asgi.create_app``).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_PREFIX = "/docs-assets"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")

# The pages may load only from the server itself. Both UIs start from an inline script and set
# inline styles, and ReDoc's search runs in a blob: worker; ReDoc's footer logo, which it loads
# from its vendor's CDN, is refused (and it then hides itself) instead of leaking a request.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def assets_directory() -> str:
    """The folder of the packaged assets; raises ``FileNotFoundError`` if one is missing."""
    folder = files("fastapi_offline") / "static"
    for name in ASSETS:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"the API documentation asset {name} is not installed")
    return str(folder)


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` from packaged assets.

    The app must have been built with ``docs_url=None`` and ``redoc_url=None`` so these routes
    are the only ones; none of them is part of the OpenAPI document.
    """
    app.mount(ASSETS_PREFIX, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{ASSETS_PREFIX}/{name}"

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=f"{request.scope.get('root_path', '')}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=redirect_url,
            swagger_js_url=asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=asset(request, "swagger-ui.css"),
            swagger_favicon_url=asset(request, "favicon.png"),
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return _confined(page)

    @app.api_route(redirect_url, methods=["GET", "HEAD"], include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _confined(get_swagger_ui_oauth2_redirect_html())

    @app.api_route("/redoc", methods=["GET", "HEAD"], include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=f"{request.scope.get('root_path', '')}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=asset(request, "redoc.standalone.js"),
            redoc_favicon_url=asset(request, "favicon.png"),
            with_google_fonts=False,
        )
        return _confined(page)


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page
