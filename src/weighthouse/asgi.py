"""ASGI entry point: ``create_app(settings)`` builds the container and mounts the front-ends
and the API's documentation pages.

``uvicorn --factory weighthouse.asgi:app_from_environment`` reads the settings as ``serve``
does (environment and ``WEIGHTHOUSE_CONFIG``) and, like it, refuses a catalog and a blob store
that are not one deployment.
"""

from __future__ import annotations

from fastapi import FastAPI

from weighthouse.api_docs import install_api_docs
from weighthouse.bootstrap import Container, bootstrap
from weighthouse.config import Settings
from weighthouse.config_sources import load_settings
from weighthouse.frontends.rest.app import create_rest_app
from weighthouse.web_ui import install_web_ui


def create_app(settings: Settings, container: Container | None = None) -> FastAPI:
    container = container or bootstrap(settings)
    app = create_rest_app(container)
    install_api_docs(app)
    install_web_ui(app, container)
    return app


def app_from_environment() -> FastAPI:
    from weighthouse.opening import open_deployment

    settings = load_settings()
    return create_app(settings, open_deployment(settings, adopt=True))
