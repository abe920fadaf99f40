"""The OpenAPI document: security schemes, a description on every operation, and exactly the
error responses that :mod:`weighthouse.frontends.rest.operations` derives for each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from weighthouse.asgi import create_app
from weighthouse.config import Settings
from weighthouse.domain import errors as e
from weighthouse.frontends.rest.errors import ERROR_TABLE
from weighthouse.frontends.rest.operations import (
    OPERATIONS,
    api_routes,
    document_operations,
)

pytestmark = pytest.mark.unit

METHODS = {"get", "put", "post", "patch", "delete", "head"}
ERROR_STATUSES = {status for status, _ in ERROR_TABLE.values()}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi") / "data"))


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_route_has_an_entry_and_every_entry_a_route(app: FastAPI) -> None:
    names = {route.name for route in api_routes(app.routes) if route.include_in_schema}
    assert names == set(OPERATIONS)


def test_a_route_without_an_entry_stops_the_app_with_what_to_do() -> None:
    app = FastAPI()

    @app.get("/new")
    def brand_new_route() -> None:
        """Something new."""

    with pytest.raises(KeyError, match=r"brand_new_route.*OPERATIONS"):
        document_operations(app)


def test_both_credential_schemes_are_declared(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["basic"] == {**schemes["basic"], "type": "http", "scheme": "basic"}


def test_every_operation_has_a_description(spec: dict[str, Any]) -> None:
    missing = [name for name, op in operations(spec) if not op.get("description", "").strip()]
    assert missing == []


def test_operations_that_take_credentials_say_which(spec: dict[str, Any]) -> None:
    without = set()
    for name, op in operations(spec):
        security = op.get("security")
        if security is None:
            without.add(name)
        else:
            assert {"bearer": []} in security and {"basic": []} in security, name
    # Sign-up and sign-in take a password in the body, not a credential.
    assert without == {"GET /healthz", "GET /readyz", "POST /api/signup", "POST /api/signin"}
    public_read = spec["paths"]["/api/{kind}/{namespace}/{name}"]["get"]["security"]
    assert {} in public_read
    create = spec["paths"]["/api/repos"]["post"]["security"]
    assert {} not in create


def test_errors_are_only_those_the_error_handlers_answer(spec: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for name, op in operations(spec):
        errors = {int(status) for status in op["responses"] if int(status) >= 400}
        assert 422 not in errors, name  # invalid input is a 400 here
        assert errors <= ERROR_STATUSES, name
        assert 400 in errors, name  # a URL that is not UTF-8 is refused on every route


@pytest.mark.parametrize(
    ("method", "path", "present", "absent"),
    [
        ("get", "/healthz", set(), {401, 413, 503, 507}),
        ("get", "/api/repos", {401, 403, 429, 503}, {404, 409, 413, 507}),
        ("post", "/api/repos", {401, 404, 409, 413, 507}, {412, 416}),
        ("get", "/api/{kind}/{namespace}/{name}/resolve/{revision}/{path}", {404, 416}, {413}),
        ("put", "/api/buckets/{namespace}/{name}/objects/{key}", {404, 412, 413, 507}, {409}),
        ("post", "/api/{kind}/{namespace}/{name}/blobs/check", {404, 413}, {507}),
        ("post", "/api/signin", {401, 429}, {403, 404}),
    ],
)
def test_each_operation_gets_its_own_errors(
    spec: dict[str, Any], method: str, path: str, present: set[int], absent: set[int]
) -> None:
    errors = {int(s) for s in spec["paths"][path][method]["responses"] if int(s) >= 400}
    assert present <= errors
    assert not absent & errors


def test_error_responses_carry_the_envelope_and_name_their_codes(spec: dict[str, Any]) -> None:
    response = spec["paths"]["/api/{kind}/{namespace}/{name}/commits/{revision}"]["get"][
        "responses"
    ]["404"]
    assert response["description"] == "repo_not_found, revision_not_found"
    schema = response["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorOut"}
    assert ERROR_TABLE[e.RepoNotFoundError] == (404, "repo_not_found")


def test_the_documentation_pages_are_not_operations(spec: dict[str, Any], tmp_path: Path) -> None:
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(spec["paths"])
