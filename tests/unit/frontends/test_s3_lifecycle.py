"""The S3 lifecycle document: what parses into rules, what is MalformedXML before any value is
judged, transitions refused for the one storage class, the document GET returns (each rule as
it was written), the ``x-amz-expiration`` header, and damaged documents that only ever end in
an S3 error."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime

import pytest

from weighthouse.domain.errors import DomainError
from weighthouse.domain.lifecycle import NEVER, LifecycleFilter, check_rules
from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.lifecycle import (
    configuration_document,
    expiration_header,
    parse_configuration,
)

pytestmark = pytest.mark.unit

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def document(*rules: str) -> bytes:
    return f"<LifecycleConfiguration {NS}>{''.join(rules)}</LifecycleConfiguration>".encode()


def malformed(body: bytes) -> str:
    with pytest.raises(S3Error) as raised:
        parse_configuration(body)
    assert raised.value.status == 400
    return raised.value.code


FULL = document(
    "<Rule><ID>legacy</ID><Prefix>logs/</Prefix><Status>Enabled</Status>"
    "<Expiration><Days>31</Days></Expiration></Rule>",
    "<Rule><ID>and</ID><Filter><And><Prefix>data/</Prefix>"
    "<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag>"
    "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>99</ObjectSizeLessThan>"
    "</And></Filter><Status>Disabled</Status>"
    "<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>"
    "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
    "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>",
    "<Rule><ID>marker</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
    "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
    "</AbortIncompleteMultipartUpload></Rule>",
    "<Rule><ID>tag</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
    "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    "<Rule><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>",
)


def test_every_part_of_a_rule_is_read() -> None:
    legacy, conjunction, marker, tag, anonymous = parse_configuration(FULL)
    assert legacy.filter == LifecycleFilter(prefix="logs/", legacy=True)
    assert legacy.enabled and legacy.expiration_days == 31
    assert conjunction.filter == LifecycleFilter(
        prefix="data/",
        tags=(("a", "1"), ("b", "")),
        size_greater_than=10,
        size_less_than=99,
        conjunction=True,
    )
    assert not conjunction.enabled
    assert conjunction.expiration_date == datetime(2030, 1, 1, tzinfo=UTC)
    assert (conjunction.noncurrent_days, conjunction.newer_noncurrent_versions) == (3, 2)
    assert marker.filter == LifecycleFilter(prefix="")
    assert marker.expired_object_delete_marker is True and marker.abort_days == 7
    assert tag.filter == LifecycleFilter(tags=(("k", "v"),))
    assert anonymous.filter == LifecycleFilter() and len(anonymous.id) == 48
    check_rules([legacy, conjunction, marker, tag, anonymous])


def test_the_document_read_back_is_the_one_written() -> None:
    rules = tuple(parse_configuration(FULL))
    written = configuration_document(rules)
    assert tuple(parse_configuration(written)) == rules
    assert b"<Prefix>logs/</Prefix><Status>" in written  # the older form stays the older form
    assert b"<Filter><And><Prefix>data/</Prefix>" in written
    assert b"<Filter><Tag><Key>k</Key>" in written
    assert b"<Date>2030-01-01T00:00:00.000Z</Date>" in written
    assert b"ExpiredObjectDeleteMarker>true<" in written


@pytest.mark.parametrize(
    "rule",
    [
        "<Status>enabled</Status><Prefix/><Expiration><Days>1</Days></Expiration>",
        "<Status>Invalid</Status><Prefix/><Expiration><Days>1</Days></Expiration>",
        "<Prefix/><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Filter/><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Prefix/><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Days>x</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Days>1.5</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Days>9999999999999999999</Days>"
        "</Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Days>2147483648</Days></Expiration>",
        "<Status>Enabled</Status><Filter><ObjectSizeLessThan>9223372036854775808"
        "</ObjectSizeLessThan></Filter><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Date>20200101</Date></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><Date>soon</Date></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration/>",
        "<Status>Enabled</Status><Prefix/><Expiration><Days>1</Days>"
        "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>",
        "<Status>Enabled</Status><Prefix/><Expiration><ExpiredObjectDeleteMarker>yes"
        "</ExpiredObjectDeleteMarker></Expiration>",
        "<Status>Enabled</Status><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>"
        "</Tag></Filter><Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Filter><Tag><Value>v</Value></Tag></Filter>"
        "<Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Filter><And><And/></And></Filter>"
        "<Expiration><Days>1</Days></Expiration>",
        "<Status>Enabled</Status><Prefix/><Color>red</Color>",
        "<Status>Enabled</Status><Prefix/><NoncurrentVersionExpiration>"
        "<NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>",
        "<Status>Enabled</Status><Prefix/><AbortIncompleteMultipartUpload/>",
        "<Status>Enabled</Status><Prefix/><Transition><Days>1</Days></Transition>",
        "<Status>Enabled</Status><Prefix/><Transition><Date>20220927</Date>"
        "<StorageClass>GLACIER</StorageClass></Transition>",
    ],
)
def test_a_document_that_breaks_the_schema_is_malformed(rule: str) -> None:
    assert malformed(document(f"<Rule><ID>r</ID>{rule}</Rule>")) == "MalformedXML"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<LifecycleConfiguration/>",
        b"<CORSConfiguration><Rule/></CORSConfiguration>",
        document("<Other/>"),
        b"<LifecycleConfiguration><Rule>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><LifecycleConfiguration/>',
    ],
)
def test_something_other_than_a_configuration_is_malformed(body: bytes) -> None:
    assert malformed(body) == "MalformedXML"


def test_a_well_formed_transition_names_a_storage_class_this_server_lacks() -> None:
    for transition in (
        "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>",
        "<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>STANDARD</StorageClass>"
        "</Transition>",
        "<NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays>"
        "<StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>",
    ):
        rule = f"<Rule><Prefix/><Status>Enabled</Status>{transition}</Rule>"
        assert malformed(document(rule)) == "InvalidStorageClass"
    late = (
        "<Rule><Prefix/><Status>Enabled</Status><Transition><Date>2030-01-01T03:00:00Z</Date>"
        "<StorageClass>GLACIER</StorageClass></Transition></Rule>"
    )
    assert malformed(document(late)) == "InvalidArgument"


def test_the_largest_numbers_s3_takes_are_taken() -> None:
    (rule,) = parse_configuration(
        document(
            "<Rule><Filter><ObjectSizeGreaterThan>9223372036854775806</ObjectSizeGreaterThan>"
            "</Filter><Status>Enabled</Status><Expiration><Days>2147483647</Days></Expiration>"
            "</Rule>"
        )
    )
    assert rule.expiration_days == 2**31 - 1
    assert rule.filter.size_greater_than == 2**63 - 2
    assert rule.current_expiry(datetime(2026, 1, 1, tzinfo=UTC)) == NEVER
    assert "9999" in expiration_header((NEVER, "far"))["x-amz-expiration"]


def test_a_date_without_a_zone_is_utc_and_one_with_a_zone_is_moved_to_utc() -> None:
    plain, zoned = parse_configuration(
        document(
            "<Rule><ID>a</ID><Prefix/><Status>Enabled</Status>"
            "<Expiration><Date>2017-09-27</Date></Expiration></Rule>",
            "<Rule><ID>b</ID><Prefix/><Status>Enabled</Status>"
            "<Expiration><Date>2017-09-27T02:00:00+02:00</Date></Expiration></Rule>",
        )
    )
    assert plain.expiration_date == datetime(2017, 9, 27, tzinfo=UTC)
    assert zoned.expiration_date == datetime(2017, 9, 27, tzinfo=UTC)


def test_the_expiration_header_names_the_day_and_the_rule() -> None:
    at = datetime(2012, 12, 23, tzinfo=UTC)
    assert expiration_header((at, "picture-deletion-rule")) == {
        "x-amz-expiration": 'expiry-date="Sun, 23 Dec 2012 00:00:00 GMT", '
        'rule-id="picture-deletion-rule"'
    }
    odd = expiration_header((at, 'a"b ü%'))["x-amz-expiration"]
    assert odd.endswith('rule-id="a%22b %C3%BC%25"') and odd.isascii()
    assert expiration_header(None) == {}


def test_damaged_documents_end_in_an_s3_error_or_rules_never_a_crash() -> None:
    shuffle = random.Random(20261205)
    pieces = list(FULL)
    for _ in range(400):
        damaged = bytearray(pieces)
        for _ in range(shuffle.randint(1, 6)):
            where = shuffle.randrange(len(damaged))
            choice = shuffle.random()
            if choice < 0.4:
                del damaged[where : where + shuffle.randint(1, 12)]
            elif choice < 0.7:
                damaged[where] = shuffle.choice(b"<>/0123-9Tz:ab&\xff\x00 ")
            else:
                damaged[where:where] = shuffle.choice([b"<Days>-1</Days>", b"<Tag/>", b"&amp;"])
        with contextlib.suppress(S3Error, DomainError):
            check_rules(parse_configuration(bytes(damaged)))
