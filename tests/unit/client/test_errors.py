from __future__ import annotations

import httpx
import pytest

from weighthouse.client import ApiError, ServerUnreachableError, WeighthouseClient

pytestmark = pytest.mark.unit


def _raising(response: httpx.Response) -> ApiError:
    client = WeighthouseClient("http://hub.test", transport=httpx.MockTransport(lambda r: response))
    with client, pytest.raises(ApiError) as caught:
        client.get_repo("alice/bert")
    return caught.value


def test_the_json_envelope_gives_code_message_and_detail() -> None:
    body = {
        "error": {
            "code": "repo_not_found",
            "message": "no model 'alice/bert'",
            "detail": {"repo": "alice/bert"},
        }
    }
    error = _raising(httpx.Response(404, json=body))
    assert (error.status, error.code, error.message) == (
        404,
        "repo_not_found",
        "no model 'alice/bert'",
    )
    assert error.detail == {"repo": "alice/bert"}
    assert str(error) == "repo_not_found: no model 'alice/bert'"


def test_a_body_that_is_not_json_falls_back_to_status_and_first_line() -> None:
    error = _raising(httpx.Response(502, text="<html>Bad Gateway</html>\n<body>...</body>"))
    assert (error.status, error.code, error.message) == (
        502,
        "bad_gateway",
        "<html>Bad Gateway</html>",
    )
    assert error.detail == {}


def test_json_of_another_shape_falls_back_too() -> None:
    error = _raising(httpx.Response(404, json={"detail": "Not Found"}))
    assert (error.code, error.message) == ("not_found", '{"detail":"Not Found"}')


def test_an_empty_body_uses_the_reason_phrase() -> None:
    error = _raising(httpx.Response(418))
    assert (error.code, error.message) == ("http_418", "I'm a teapot")


def test_no_answer_is_server_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    client = WeighthouseClient("http://hub.test/", transport=httpx.MockTransport(refuse))
    with client, pytest.raises(ServerUnreachableError) as caught:
        client.whoami()
    assert caught.value.url == "http://hub.test"
    assert "Connection refused" in str(caught.value)
