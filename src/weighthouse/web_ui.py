"""The web UI's composition: templates and static assets from the package, mounted at
``/ui`` with ``/`` redirecting there.

Front-ends read no files, so the template loader and the static files live here, in the
composition root, like the API documentation's assets (:mod:`weighthouse.api_docs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from weighthouse.bootstrap import Container
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.app import create_web_app

STATIC_PREFIX = "/static"


def package_folder(name: str) -> str:
    folder = files("weighthouse.frontends.web") / name
    if not folder.is_dir():
        raise FileNotFoundError(f"the web UI's {name} folder is not installed")
    return str(folder)


def renderer() -> Any:
    """``render(name, context) -> str`` over the packaged templates, escaping every value."""
    environment = Environment(
        loader=FileSystemLoader(package_folder("templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["static_url"] = lambda name: f"{urls.MOUNT}{STATIC_PREFIX}/{name}"

    def render(name: str, context: Mapping[str, Any]) -> str:
        return environment.get_template(name).render(context)

    return render


def install_web_ui(app: FastAPI, container: Container) -> None:
    """Mount the pages at ``/ui`` and redirect ``/`` there; neither is in the OpenAPI."""
    web = create_web_app(container, renderer())
    assets = StaticFiles(directory=package_folder("static"))
    # First, so no page pattern can shadow an asset.
    web.router.routes.insert(0, Mount(STATIC_PREFIX, app=assets, name="static"))
    app.mount(urls.MOUNT, web, name="web")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(urls.page(), status_code=307)
