"""The bucket policy language: what is refused when a policy is set (also hostile documents),
and what a policy says of a request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from weighthouse.domain.bucket_policy import (
    MAX_BYTES,
    PolicyRequest,
    Verdict,
    check_policy,
    read_policy,
)
from weighthouse.domain.errors import MalformedPolicyError
from weighthouse.domain.policy_conditions import glob_match

pytestmark = pytest.mark.unit

BUCKET = "alice--data"
OBJECTS = f"arn:aws:s3:::{BUCKET}/*"
ALICE, BOB = "a1", "b2"


def statement(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": OBJECTS,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def policy(*statements: dict[str, Any], **top: Any) -> str:
    document = {"Version": "2012-10-17", "Statement": list(statements) or [statement()]}
    document.update(top)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "invalid Json"),
        ("[]", "JSON object"),
        ('"a string"', "JSON object"),
        ('{"Statement": NaN}', "invalid Json"),
        (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
        (policy(Version="2020-01-01"), "Version"),
        (policy(Version=7), "Version"),
        (policy(Extra=1), "Unknown field Extra"),
        (json.dumps({"Statement": []}), "at least one"),
        (json.dumps({"Statement": ["s"]}), "JSON object"),
        (policy(statement(Effect="Maybe")), "Invalid effect"),
        (policy(statement(Effect="allow")), "Invalid effect"),
        (policy(statement(Effect=None)), "Missing required field Effect"),
        (policy(statement(Action=None)), "Missing required field Action"),
        (policy(statement(Resource=None)), "Missing required field Resource"),
        (policy(statement(Principal=None)), "Missing required field Principal"),
        (policy(statement(NotAction="s3:PutObject")), "not both"),
        (policy(statement(Principal="alice")), "Invalid principal"),
        (policy(statement(Principal={"Nobody": "x"})), "Invalid principal"),
        (policy(statement(Principal={"AWS": "arn:aws:iam::x:user/y"})), "Invalid principal"),
        (policy(statement(Principal={"AWS": []})), "Principal"),
        (policy(statement(Action="ec2:RunInstances")), "invalid action"),
        (policy(statement(Action="s3:GetObjekt")), "invalid action"),
        (policy(statement(Action="s3:Nothing*")), "invalid action"),
        (policy(statement(Action=["s3:GetObject", 3])), "Action must be"),
        (policy(statement(Action="")), "Action must be"),
        (policy(statement(Resource="arn:aws:s3:::other/*")), "invalid resource"),
        (policy(statement(Resource="arn:aws:s3:::alice--data2/*")), "invalid resource"),
        (policy(statement(Resource="alice--data/*")), "invalid resource"),
        (policy(statement(Action="s3:ListBucket")), "does not apply"),
        (policy(statement(Resource=f"arn:aws:s3:::{BUCKET}")), "does not apply"),
        (policy(statement(Sid="x"), statement(Sid="x")), "unique"),
        (policy(statement(Sid=5)), "Sid"),
        (policy(statement(Condition={"StringEqualz": {"s3:prefix": "a"}})), "Condition type"),
        (policy(statement(Condition={"Bogus:StringEquals": {"s3:prefix": "a"}})), "Condition"),
        (policy(statement(Condition={"NullIfExists": {"s3:prefix": "true"}})), "Condition"),
        (policy(statement(Condition={"StringEquals": {"ec2:x": "a"}})), "condition key"),
        (policy(statement(Condition={"StringEquals": {"s3:prefix": {"a": 1}}})), "values"),
        (policy(statement(Condition={"StringEquals": {"s3:prefix": []}})), "no values"),
        (policy(statement(Condition={"StringEquals": "s3:prefix"})), "object of keys"),
        (policy(statement(Condition=[])), "Condition"),
        (policy(statement(Condition={"NumericLessThan": {"s3:max-keys": "ten"}})), "compare"),
        (policy(statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}})), "compare"),
        (policy(statement(Condition={"DateLessThan": {"aws:CurrentTime": "soon"}})), "compare"),
        (policy(statement(Condition={"Bool": {"aws:SecureTransport": "maybe"}})), "true or"),
        (policy(statement(Condition={"Null": {"s3:prefix": ["true", "false"]}})), "one value"),
        ('{"Statement": {"Effect": "Allow", "Effect": "Deny"}}', "twice"),
    ],
)
def test_a_policy_s3_would_refuse_is_malformed_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(MalformedPolicyError, match=reason):
        check_policy(text, BUCKET)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 9_000 + "]" * 9_000,  # deeper than the parser goes, within 20 KB
        '{"Statement": [' + ",".join(["{}"] * 5_000) + "]}",  # many wrong statements
        policy(statement(Action=["s3:GetObject"] * 3_000)),  # over 20 KB
        json.dumps({"Statement": statement(), "Id": "x" * MAX_BYTES}),
        policy(statement(Principal={"AWS": [{"deep": [[[[1]]]]}]})),
        policy(statement(Condition={"StringLike": {"s3:prefix": [[["a"]]]}})),
        "\x00\x01\x02",
        "",
    ],
    ids=[
        "deep",
        "many",
        "huge-array",
        "huge-id",
        "nested-principal",
        "nested-value",
        "binary",
        "empty",
    ],
)
def test_hostile_documents_are_malformed_not_crashes(text: str) -> None:
    with pytest.raises(MalformedPolicyError):
        check_policy(text, BUCKET)


@pytest.mark.parametrize(
    "resource",
    [
        f"arn:aws:s3:::{BUCKET}/*",
        f"arn:aws:s3:::{BUCKET}/home/*",
        f"arn:aws:s3:::{BUCKET}/exact-key",
        "arn:aws:s3:::*",
        "arn:aws:s3:::*/*",
        "arn:aws:s3:::alice--*/*",
        "arn:aws:s3:::alice--dat?/*",
        "*",
    ],
)
def test_resources_that_can_name_the_bucket_or_its_objects_are_accepted(resource: str) -> None:
    check_policy(policy(statement(Resource=resource)), BUCKET)


def test_a_good_policy_keeps_every_form_the_language_allows() -> None:
    text = policy(
        statement(Sid="read", Principal={"AWS": ["*"]}, Action=["s3:Get*", "s3:ListBucket"],
                  Resource=[OBJECTS, f"arn:aws:s3:::{BUCKET}"]),
        statement(Sid="", Effect="Deny", Principal=None, Action=None, Resource=None,
                  NotPrincipal={"AWS": f"arn:aws:iam::{ALICE}:root"},
                  NotAction="s3:Get*", NotResource=f"arn:aws:s3:::{BUCKET}/public/*"),
        statement(Principal={"CanonicalUser": BOB, "Service": "logging.s3.amazonaws.com"},
                  Action="*", Resource="*", Condition={
                      "StringEqualsIfExists": {"s3:prefix": ["a", "b"]},
                      "ForAnyValue:StringLike": {"s3:RequestObjectTagKeys": "t*"},
                      "NumericLessThanEquals": {"s3:max-keys": 10},
                      "Bool": {"aws:SecureTransport": True},
                      "NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1/128"]},
                      "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                      "Null": {"s3:x-amz-acl": "true"},
                  }),
        Id="my-policy",
    )  # fmt: skip
    assert len(check_policy(text, BUCKET).statements) == 3
    assert check_policy(json.dumps({"Statement": statement()}), BUCKET).statements


def ask(
    text: str,
    action: str = "s3:GetObject",
    key: str | None = "k",
    caller: str | None = BOB,
    tags: dict[str, str] | None = None,
    **facts: str | tuple[str, ...],
) -> Verdict:
    request = PolicyRequest(
        action,
        key,
        {
            name.replace("__", ":").replace("_", "-"): value
            if isinstance(value, tuple)
            else (value,)
            for name, value in facts.items()
        },
    )
    ids = frozenset() if caller is None else frozenset({caller})
    return read_policy(text).decide(request, BUCKET, ids, lambda: tags or {})


ALLOW, DENY, NONE = Verdict.ALLOW, Verdict.DENY, Verdict.NONE


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        ("*", None, ALLOW),
        ({"AWS": "*"}, None, ALLOW),
        ({"AWS": "*"}, BOB, ALLOW),
        ({"AWS": BOB}, BOB, ALLOW),
        ({"AWS": f"arn:aws:iam::{BOB}:root"}, BOB, ALLOW),
        ({"CanonicalUser": BOB}, BOB, ALLOW),
        ({"AWS": [ALICE, BOB]}, BOB, ALLOW),
        ({"AWS": BOB}, ALICE, NONE),
        ({"AWS": BOB}, None, NONE),
        ({"Service": "s3.amazonaws.com"}, BOB, NONE),
    ],
)
def test_principals_name_everyone_or_users_by_id(
    principal: object, caller: str | None, expected: Verdict
) -> None:
    assert ask(policy(statement(Principal=principal)), caller=caller) is expected


def test_not_principal_names_everyone_else() -> None:
    text = policy(statement(Principal=None, NotPrincipal={"AWS": BOB}))
    assert (ask(text, caller=BOB), ask(text, caller=ALICE), ask(text, caller=None)) == (
        NONE,
        ALLOW,
        ALLOW,
    )


@pytest.mark.parametrize(
    ("actions", "asked", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", ALLOW),
        ("S3:getobject", "s3:GetObject", ALLOW),
        ("s3:Get*", "s3:GetObjectTagging", ALLOW),
        ("s3:*", "s3:DeleteObject", ALLOW),
        ("*", "s3:PutObject", ALLOW),
        ("s3:GetObject", "s3:GetObjectTagging", NONE),
        ("s3:Get*", "s3:PutObject", NONE),
        ("s3:?etObject", "s3:GetObject", ALLOW),
    ],
)
def test_actions_match_without_case_and_with_wildcards(
    actions: str, asked: str, expected: Verdict
) -> None:
    text = policy(statement(Action=actions, Resource=[OBJECTS, f"arn:aws:s3:::{BUCKET}"]))
    assert ask(text, action=asked) is expected


def test_not_action_covers_every_other_action() -> None:
    text = policy(statement(Action=None, NotAction="s3:DeleteObject"))
    assert ask(text, action="s3:PutObject") is ALLOW
    assert ask(text, action="s3:DeleteObject") is NONE


@pytest.mark.parametrize(
    ("resource", "key", "expected"),
    [
        (OBJECTS, "k", ALLOW),
        (OBJECTS, None, NONE),  # the bucket itself is not one of its objects
        (f"arn:aws:s3:::{BUCKET}", None, ALLOW),
        (f"arn:aws:s3:::{BUCKET}", "k", NONE),
        (f"arn:aws:s3:::{BUCKET}/home/*", "home/a/b", ALLOW),
        (f"arn:aws:s3:::{BUCKET}/home/*", "homer", NONE),
        (f"arn:aws:s3:::{BUCKET}/file-?.bin", "file-1.bin", ALLOW),
        (f"arn:aws:s3:::{BUCKET}/file-?.bin", "file-10.bin", NONE),
        (f"arn:aws:s3:::{BUCKET}/exact", "exact", ALLOW),
        (f"arn:aws:s3:::{BUCKET}/exact", "exact2", NONE),
        ("arn:aws:s3:::*", "k", ALLOW),
        ("arn:aws:s3:::*", None, ALLOW),
        ("*", "any/key", ALLOW),
    ],
)
def test_resources_name_the_bucket_and_keys_with_wildcards(
    resource: str, key: str | None, expected: Verdict
) -> None:
    text = policy(statement(Action="*", Resource=resource))
    assert ask(text, action="s3:GetObject", key=key) is expected


def test_not_resource_covers_everything_else() -> None:
    text = policy(statement(Resource=None, NotResource=f"arn:aws:s3:::{BUCKET}/secret/*"))
    assert ask(text, key="open") is ALLOW
    assert ask(text, key="secret/x") is NONE


def test_an_explicit_deny_wins_over_any_allow_in_any_order() -> None:
    allow, deny = statement(), statement(Effect="Deny", Resource=f"arn:aws:s3:::{BUCKET}/s*")
    for order in ((allow, deny), (deny, allow)):
        assert ask(policy(*order), key="secret") is DENY
        assert ask(policy(*order), key="open") is ALLOW


def cond(block: dict[str, Any]) -> str:
    return policy(statement(Condition=block, Action="*", Resource="*"))


@pytest.mark.parametrize(
    ("block", "facts", "expected"),
    [
        ({"StringEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "home/"}, ALLOW),
        ({"StringEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "Home/"}, NONE),
        ({"StringEquals": {"s3:prefix": "home/"}}, {}, NONE),
        ({"StringEquals": {"S3:Prefix": ["a", "home/"]}}, {"s3__prefix": "home/"}, ALLOW),
        ({"StringNotEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "x"}, ALLOW),
        ({"StringNotEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "home/"}, NONE),
        ({"StringNotEquals": {"s3:prefix": "home/"}}, {}, ALLOW),  # missing key: not equal
        ({"StringEqualsIgnoreCase": {"s3:prefix": "HOME/"}}, {"s3__prefix": "home/"}, ALLOW),
        ({"StringLike": {"aws:Referer": "http://www.example.com/*"}},
         {"aws__referer": "http://www.example.com/a"}, ALLOW),
        ({"StringLike": {"aws:Referer": "http://www.example.com/*"}},
         {"aws__referer": "http://www.example.com"}, NONE),
        ({"StringLikeIfExists": {"aws:Referer": "http://www.example.com/*"}}, {}, ALLOW),
        ({"StringNotLike": {"s3:x-amz-acl": "public*"}}, {"s3__x_amz_acl": "public-read"}, NONE),
        ({"StringNotLike": {"s3:x-amz-acl": "public*"}}, {"s3__x_amz_acl": "private"}, ALLOW),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3__max_keys": "10"}, ALLOW),
        ({"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3__max_keys": "11"}, NONE),
        ({"NumericLessThanEquals": {"s3:max-keys": 10}}, {"s3__max_keys": "lots"}, NONE),
        ({"NumericGreaterThan": {"s3:max-keys": "1.5"}}, {"s3__max_keys": "2"}, ALLOW),
        ({"NumericNotEquals": {"s3:max-keys": "5"}}, {"s3__max_keys": "5"}, NONE),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws__securetransport": "false"}, ALLOW),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws__securetransport": "true"}, NONE),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws__sourceip": "10.1.2.3"}, ALLOW),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws__sourceip": "11.1.2.3"}, NONE),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws__sourceip": "::1"}, NONE),
        ({"IpAddress": {"aws:SourceIp": "::1/128"}}, {"aws__sourceip": "::1"}, ALLOW),
        ({"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}, {"aws__sourceip": "127.0.0.1"}, NONE),
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
         {"aws__currenttime": "2026-12-05T10:00:00Z"}, ALLOW),
        ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01"}},
         {"aws__currenttime": "2026-12-05T10:00:00Z"}, NONE),
        ({"Null": {"s3:x-amz-acl": "true"}}, {}, ALLOW),
        ({"Null": {"s3:x-amz-acl": "false"}}, {}, NONE),
        ({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}},
         {"s3__requestobjecttagkeys": ("c", "b")}, ALLOW),
        ({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}},
         {"s3__requestobjecttagkeys": ("c", "b")}, NONE),
        ({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["a", "b"]}}, {}, ALLOW),
        ({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["a"]}}, {}, NONE),
        ({"StringEquals": {"s3:prefix": "a"}, "Bool": {"aws:SecureTransport": "true"}},
         {"s3__prefix": "a", "aws__securetransport": "false"}, NONE),
        ({"BinaryEquals": {"s3:x-amz-meta-b": "aGk="}}, {"s3__x_amz_meta_b": "aGk="}, ALLOW),
    ],
)  # fmt: skip
def test_conditions_hold_as_iam_evaluates_them(
    block: dict[str, Any], facts: dict[str, str | tuple[str, ...]], expected: Verdict
) -> None:
    assert ask(cond(block), **facts) is expected


def test_existing_object_tags_are_read_only_when_a_condition_asks() -> None:
    text = cond({"StringEquals": {"s3:ExistingObjectTag/security": "public"}})
    assert ask(text, tags={"security": "public"}) is ALLOW
    assert ask(text, tags={"security": "private"}) is NONE
    assert ask(text, tags={"Security": "public"}) is NONE  # tag keys keep their case
    assert ask(text, key=None) is NONE
    untouched = policy(statement())
    request = PolicyRequest("s3:GetObject", "k")
    assert read_policy(untouched).decide(request, BUCKET, frozenset(), _no_tags) is ALLOW


def _no_tags() -> dict[str, str]:
    raise AssertionError("no condition asked for the object's tags")


def test_might_deny_and_names_answer_for_requests_that_did_not_say_what_they_do() -> None:
    text = policy(
        statement(Effect="Deny", Principal={"AWS": BOB}, Action="s3:Delete*",
                  Condition={"Bool": {"aws:SecureTransport": "false"}}),
        statement(Principal={"AWS": ALICE}),
    )  # fmt: skip
    compiled = read_policy(text)
    assert compiled.might_deny(("s3:putobject", "s3:deleteobject"), frozenset({BOB}))
    assert not compiled.might_deny(("s3:getobject",), frozenset({BOB}))
    assert not compiled.might_deny(("s3:deleteobject",), frozenset({ALICE}))
    assert compiled.names(frozenset({ALICE})) and not compiled.names(frozenset({BOB}))


@pytest.mark.parametrize(
    ("statements", "public"),
    [
        ([statement()], True),
        ([statement(Principal={"AWS": BOB})], False),
        ([statement(Effect="Deny")], False),
        ([statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/32"}})], False),
        ([statement(Condition={"StringLike": {"aws:Referer": "x*"}})], True),
        ([statement(Principal=None, NotPrincipal={"AWS": BOB})], True),
    ],
)
def test_a_policy_is_public_when_an_allow_names_everyone_unconditionally(
    statements: list[dict[str, Any]], public: bool
) -> None:
    assert read_policy(policy(*statements)).is_public is public


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*", "", True),
        ("a*b*c", "a-b-c", True),
        ("a*b*c", "a-b-", False),
        ("??", "ab", True),
        ("??", "abc", False),
        ("a*", "b", False),
        ("*" * 200 + "x", "a" * 5_000, False),  # no backtracking blow-up
    ],
)
def test_wildcards_match_in_bounded_time(pattern: str, text: str, matches: bool) -> None:
    assert glob_match(pattern, text) is matches


def test_many_statements_and_values_within_20_kb_evaluate() -> None:
    many = [statement(Sid=f"s{i}", Principal={"AWS": f"user{i}"}) for i in range(150)]
    text = policy(*many)
    assert len(text) < MAX_BYTES
    assert ask(text, caller="user149") is ALLOW
    assert ask(text, caller="nobody") is NONE
