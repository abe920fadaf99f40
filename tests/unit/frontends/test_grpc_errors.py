"""The gRPC front-end's error table, credentials and committed stubs.

This module imports no generated stub of the server: the acceptance tests load the original
clients' stubs, which define the same ``model_catalog`` names, and may share the process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from tests.unit.frontends.error_tree import all_errors, missing_entries

from weighthouse.domain import errors
from weighthouse.domain.credentials import BearerToken
from weighthouse.frontends.grpc.credentials import client_address, credential
from weighthouse.frontends.grpc.errors import ERROR_TABLE, status_of, streaming, unary

pytestmark = pytest.mark.unit

PROTOS = Path(__file__).parents[3] / "src" / "weighthouse" / "frontends" / "grpc" / "protos"


def test_every_domain_error_has_its_own_entry() -> None:
    assert missing_entries(ERROR_TABLE) == []  # type: ignore[arg-type]


def test_no_error_is_unknown_and_client_errors_are_not_internal() -> None:
    for error in all_errors():
        code = status_of(error.__new__(error))  # only its class matters
        assert code is not grpc.StatusCode.UNKNOWN, error.__name__
        if issubclass(
            error,
            errors.InvalidInputError
            | errors.NotFoundError
            | errors.ConflictError
            | errors.AuthenticationError
            | errors.PermissionDeniedError,
        ):
            assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE), error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.AuthenticationError("x"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.PermissionDeniedError("x"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.RepoNotFoundError("x"), grpc.StatusCode.NOT_FOUND),
        (errors.UserExistsError("x"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.InvalidPathError("x"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.CommitConflictError("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.TooLargeError("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.StorageError("x"), grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_the_codes_clients_act_on(error: errors.DomainError, expected: grpc.StatusCode) -> None:
    assert status_of(error) is expected


class AbortedError(Exception):
    pass


class Context:
    """What a handler's context does when a call is ended: it raises."""

    def __init__(self, active: bool = True) -> None:
        self.ended: tuple[grpc.StatusCode, str] | None = None
        self.active = active

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.ended = (code, details)
        raise AbortedError

    def is_active(self) -> bool:
        return self.active


class Service:
    @unary
    def fails(self, request: Exception, context: Context) -> None:
        raise request

    @streaming
    def streams(self, request: Exception, context: Context) -> object:
        yield 1
        raise request


@pytest.mark.parametrize("method", ["fails", "streams"])
def test_handlers_end_every_failure_with_a_status(method: str) -> None:
    for raised, expected in (
        (errors.PermissionDeniedError("no"), (grpc.StatusCode.PERMISSION_DENIED, "no")),
        (KeyError("user_token"), (grpc.StatusCode.INTERNAL, "internal error")),
    ):
        context = Context()
        with pytest.raises(AbortedError):
            list(getattr(Service(), method)(raised, context) or [])
        assert context.ended == expected


def test_credentials_come_from_either_key() -> None:
    assert credential([("user_token", "whs.a")]) == BearerToken("whs.a")
    assert credential([("authorization", "Bearer wh_x")]) == BearerToken("wh_x")
    assert credential([("user-agent", "grpc-python")]) is None
    assert credential([("user_token", "t"), ("authorization", "bearer t")]) == BearerToken("t")
    for refused in (
        [("authorization", "Basic dTpw")],
        [("user_token", "one"), ("authorization", "Bearer two")],
    ):
        with pytest.raises(errors.AuthenticationError):
            credential(refused)


def test_client_addresses() -> None:
    assert client_address("ipv4:127.0.0.1:5050") == "127.0.0.1"
    assert client_address("ipv6:[::1]:5050") == "::1"
    assert client_address("unix:/tmp/s") is None


def test_committed_stubs_are_generated_from_the_proto(tmp_path: Path) -> None:
    src = PROTOS.parents[3]
    protos = sorted(PROTOS.glob("*.proto"))
    assert protos
    out = [f"--{kind}_out={tmp_path}" for kind in ("python", "pyi", "grpc_python")]
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{src}", *out, *map(str, protos)],
        check=True,
    )
    generated = sorted((tmp_path / "weighthouse/frontends/grpc/protos").iterdir())
    assert generated
    for fresh in generated:
        committed = PROTOS / fresh.name
        assert committed.read_bytes() == fresh.read_bytes(), f"run make grpc-stubs: {fresh.name}"
