"""CORS rules: what S3 refuses in a configuration, and which rule a browser's request gets."""

from __future__ import annotations

import pytest

from weighthouse.domain.cors import CorsRule, check_rules, matching_rule, rule_document, rule_from
from weighthouse.domain.errors import InvalidCorsError

pytestmark = pytest.mark.unit

GET_ANY = CorsRule(allowed_methods=("GET",), allowed_origins=("*",))


@pytest.mark.parametrize(
    ("pattern", "origin", "matches"),
    [
        ("*", "https://anything", True),
        ("https://*.example.com", "https://a.example.com", True),
        ("https://*.example.com", "https://example.com", False),
        ("*suffix", "foo.suffix", True),
        ("*suffix", "foo.suffix.get", False),
        ("start*end", "startend", True),
        ("start*end", "0start12end", False),
        ("prefix*", "prefix", True),
        ("prefix*", "bla.prefix", False),
        ("https://exact.org", "https://exact.org", True),
        ("https://exact.org", "https://EXACT.org", False),
    ],
)
def test_origins_match_with_one_wildcard(pattern: str, origin: str, matches: bool) -> None:
    rule = CorsRule(allowed_methods=("GET",), allowed_origins=(pattern,))
    assert (matching_rule([rule], origin, "GET") is rule) is matches


def test_the_first_rule_allowing_origin_method_and_headers_answers() -> None:
    puts = CorsRule(
        allowed_methods=("PUT",), allowed_origins=("https://app",), allowed_headers=("x-amz-*",)
    )
    rules = [puts, GET_ANY]
    assert matching_rule(rules, "https://app", "PUT", ["X-Amz-Date", "x-amz-meta-a"]) is puts
    assert matching_rule(rules, "https://app", "PUT", ["content-type"]) is None
    assert matching_rule(rules, "https://app", "GET") is GET_ANY
    assert matching_rule(rules, "https://app", "GET", ["x-amz-date"]) is None
    assert matching_rule(rules, "https://app", "DELETE") is None
    assert matching_rule([], "https://app", "GET") is None


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [GET_ANY] * 101,
        [CorsRule(allowed_methods=("get",), allowed_origins=("*",))],
        [CorsRule(allowed_methods=("PATCH",), allowed_origins=("*",))],
        [CorsRule(allowed_methods=("GET",), allowed_origins=("https://*.*.example",))],
        [CorsRule(allowed_methods=("GET",), allowed_origins=("*",), allowed_headers=("**",))],
        [CorsRule(allowed_methods=(), allowed_origins=("*",))],
        [CorsRule(allowed_methods=("GET",), allowed_origins=("*",), id="i" * 256)],
    ],
    ids=["none", "too-many", "lower-case", "patch", "two-wildcards", "header-wildcards",
         "no-method", "long-id"],
)  # fmt: skip
def test_what_s3_refuses_is_invalid_cors(rules: list[CorsRule]) -> None:
    with pytest.raises(InvalidCorsError):
        check_rules(rules)


def test_a_rule_round_trips_through_its_stored_form() -> None:
    rule = CorsRule(
        allowed_methods=("GET", "HEAD"),
        allowed_origins=("https://a", "https://*.b"),
        allowed_headers=("*",),
        expose_headers=("ETag", "x-amz-meta-a"),
        max_age_seconds=3000,
        id="browser uploads",
    )
    assert check_rules([rule, GET_ANY]) == (rule, GET_ANY)
    assert rule_from(rule_document(rule)) == rule
    assert rule_from(rule_document(GET_ANY)) == GET_ANY
