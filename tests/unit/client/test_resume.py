from __future__ import annotations

import pytest

from weighthouse.client.resume import (
    ResumePlan,
    body_offset,
    etag_sha256,
    parse_content_range,
    plan_resume,
)

pytestmark = pytest.mark.unit

SHA = "ab" * 32


def test_nothing_on_disk_downloads_everything() -> None:
    assert plan_resume(0, size=100, sha256=SHA) == ResumePlan(0)


def test_a_prefix_resumes_with_range_guarded_by_if_range() -> None:
    plan = plan_resume(40, size=100, sha256=SHA)
    assert plan.offset == 40 and not plan.complete
    assert plan.headers == {"Range": "bytes=40-", "If-Range": f'"{SHA}"'}


def test_unknown_size_still_resumes() -> None:
    assert plan_resume(40, size=None, sha256=SHA).headers["Range"] == "bytes=40-"


def test_without_a_validator_the_partial_file_is_not_trusted() -> None:
    assert plan_resume(40, size=100, sha256=None) == ResumePlan(0)


def test_a_partial_file_longer_than_the_file_starts_over() -> None:
    assert plan_resume(101, size=100, sha256=SHA) == ResumePlan(0)


def test_a_full_partial_file_needs_only_checking() -> None:
    assert plan_resume(100, size=100, sha256=SHA) == ResumePlan(100, complete=True)


def test_body_offset() -> None:
    assert body_offset(200, None, 40) == 0
    assert body_offset(206, "bytes 40-99/100", 40) == 40
    with pytest.raises(ValueError, match="Content-Range"):
        body_offset(206, "bytes 0-99/100", 40)
    with pytest.raises(ValueError, match="Content-Range"):
        body_offset(206, None, 40)
    with pytest.raises(ValueError, match="unexpected status"):
        body_offset(204, None, 0)


def test_parse_content_range() -> None:
    assert parse_content_range("bytes 0-9/10") == (0, 9, 10)
    assert parse_content_range("bytes 5-9/*") == (5, 9, None)
    assert parse_content_range("items 0-1/2") is None
    assert parse_content_range(None) is None


def test_etag_sha256() -> None:
    assert etag_sha256(f'"{SHA}"') == SHA
    assert etag_sha256(f'"{SHA.upper()}"') == SHA
    assert etag_sha256(f'W/"{SHA}"') is None
    assert etag_sha256('"abc"') is None
    assert etag_sha256(None) is None
