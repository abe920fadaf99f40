"""A request's policy facts: gathered when a condition first reads one, with what the
front-end adds, and once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from weighthouse.domain.access import Principal
from weighthouse.domain.model import User
from weighthouse.frontends import policy_requests
from weighthouse.frontends.policy_requests import asking

pytestmark = pytest.mark.unit


def request(headers: dict[str, str]) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "https",
            "path": "/b/k",
            "query_string": b"",
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            "server": ("example.org", 443),
        }
    )


def test_facts_are_gathered_on_first_read_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    gathered: list[str] = []
    real = policy_requests.common_facts

    def counting(*args: object) -> dict[str, tuple[str, ...]]:
        gathered.append("once")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(policy_requests, "common_facts", counting)
    alice = User(id="a" * 32, name="alice", is_admin=False, created_at=datetime.now(UTC))
    caller = asking(
        Principal(alice),
        request({"user-agent": "boto3/1.44", "referer": "https://x.test/"}),
        "s3:ListBucket",
        None,
        "192.0.2.7",
        {"s3:prefix": ("p/",)},
    )
    assert caller.request is not None
    assert caller.request.action == "s3:ListBucket"
    assert gathered == []  # a bucket without a policy never reads them
    facts = caller.request.facts
    assert facts["aws:sourceip"] == ("192.0.2.7",)
    assert facts["aws:securetransport"] == ("true",)
    assert facts["aws:useragent"] == ("boto3/1.44",)
    assert facts["aws:referer"] == ("https://x.test/",)
    assert facts["aws:username"] == ("alice",)
    assert facts["aws:principaltype"] == ("User",)
    assert facts["s3:prefix"] == ("p/",)
    assert facts.get("aws:nothing") is None
    assert "aws:epochtime" in set(facts) and len(facts) == len(dict(facts))
    assert gathered == ["once"]
    # Another action of the same request shares the facts, still gathered once.
    assert caller.request.for_object("s3:GetObject", "k").facts["aws:userid"] == ("a" * 32,)
    assert gathered == ["once"]


def test_an_anonymous_callers_facts() -> None:
    caller = asking(Principal(), request({}), "s3:GetObject", "k", None)
    assert caller.request is not None
    facts = caller.request.facts
    assert facts["aws:principaltype"] == ("Anonymous",)
    assert "aws:sourceip" not in facts and "aws:username" not in facts
