"""ASGI entry point: ``create_app(settings)`` builds the container and mounts the front-ends.

``uvicorn --factory weighthouse.asgi:app_from_environment`` reads settings from the environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from weighthouse.bootstrap import Container, bootstrap
from weighthouse.config import Settings
from weighthouse.frontends.rest.app import create_rest_app


def create_app(settings: Settings, container: Container | None = None) -> FastAPI:
    return create_rest_app(container or bootstrap(settings))


def app_from_environment() -> FastAPI:
    return create_app(Settings())
