"""Lifecycle runs on every catalog: the buckets holding a configuration are listed a page at a
time, each change is written with its audit event, and runs in several threads at once change
each object, version and upload once, leaving what a single run would."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_object, make_repo, run_together

from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import Catalog
from weighthouse.domain.lifecycle import LIFECYCLE, LifecycleFilter, LifecycleRule, rule_document
from weighthouse.domain.lifecycle_runs import ABORT, EXPIRE, LifecycleReport, LifecycleRuns
from weighthouse.domain.model import MultipartUpload, Repo, RepoType, User
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.contract

LATER = NOW + timedelta(days=10)
RULES = [
    LifecycleRule(
        id="expire", enabled=True, filter=LifecycleFilter(prefix="old/"), expiration_days=2
    ),
    LifecycleRule(
        id="versions",
        enabled=True,
        filter=LifecycleFilter(prefix="v/"),
        noncurrent_days=1,
        expired_object_delete_marker=True,
    ),
    LifecycleRule(id="uploads", enabled=True, filter=LifecycleFilter(), abort_days=1),
]


def configure(catalog: Catalog, bucket: Repo, rules: list[LifecycleRule] = RULES) -> None:
    document = {"rules": [rule_document(rule) for rule in rules]}
    catalog.put_bucket_configuration(bucket.id, LIFECYCLE, document)


def runs(catalog: Catalog, page: int = 3) -> LifecycleRuns:
    return LifecycleRuns(catalog, lambda: LATER, Audit(catalog, lambda: LATER), page=page)


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="aging", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    return stored


def fill(catalog: Catalog, bucket: Repo, user: User) -> list[str]:
    """Objects to expire and keep, versions and markers, and uploads; the upload ids."""
    for n in range(4):
        catalog.put_object(bucket.id, make_object(f"old/{n}"))
        catalog.put_object(bucket.id, make_object(f"new/{n}"))
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    for n in range(3):
        catalog.put_object(bucket.id, make_object("v/a", f"a{n}"))
    catalog.put_object(bucket.id, make_object("v/gone"))
    catalog.delete_object(bucket.id, "v/gone", at=NOW)
    uploads = []
    for key in ("old/big", "new/big"):
        upload = MultipartUpload(
            id=secrets.token_hex(24),
            repo_id=bucket.id,
            key=key,
            initiator_id=user.id,
            created_at=NOW,
            content_type="application/octet-stream",
        )
        catalog.add_upload(upload)
        uploads.append(upload.id)
    return uploads


def state(catalog: Catalog, bucket: Repo) -> list[tuple[str, bool, bool]]:
    return [
        (v.key, v.latest, v.delete_marker)
        for v in catalog.list_object_versions(bucket.id, "", None, 1000)
    ]


def test_buckets_with_a_configuration_are_listed_in_pages(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    buckets = []
    for n in range(5):
        stored = make_repo(user, name=f"b{n}", type=RepoType.BUCKET)
        catalog.add_repo(stored)
        buckets.append(stored)
        if n != 1:
            configure(catalog, stored)
    catalog.put_bucket_configuration(buckets[1].id, "cors", {"rules": []})
    found, after = [], None
    while page := catalog.list_configured_buckets(LIFECYCLE, after, 2):
        assert len(page) <= 2
        found.extend(page)
        after = page[-1][0].id
    expected = sorted(b.id for n, b in enumerate(buckets) if n != 1)
    assert [r.id for r, _ in found] == expected
    assert {r.full_name for r, _ in found} == {f"alice/b{n}" for n in (0, 2, 3, 4)}
    assert all(document["rules"][0]["id"] == "expire" for _, document in found)
    catalog.delete_repo(buckets[0].id)
    assert len(catalog.list_configured_buckets(LIFECYCLE, None, 10)) == 3


def test_a_run_carries_out_every_rule_and_audits_each_change(
    catalog: Catalog, user: User, bucket: Repo
) -> None:
    uploads = fill(catalog, bucket, user)
    configure(catalog, bucket)
    report = runs(catalog).apply()
    assert report == LifecycleReport(
        buckets=1, objects_expired=4, versions_removed=3, uploads_aborted=2
    )
    after = state(catalog, bucket)
    # The old objects got delete markers (the bucket is versioned now); their null versions
    # stay noncurrent, as no rule removes those under old/.
    assert [k for k, latest, marker in after if k.startswith("old/") and marker] == [
        f"old/{n}" for n in range(4)
    ]
    assert [e for e in after if e[0].startswith("v/")] == [
        ("v/a", True, False),
        ("v/gone", True, True),
    ]
    assert [e for e in after if e[0].startswith("new/")] == [
        (f"new/{n}", True, False) for n in range(4)
    ]
    assert not any(catalog.list_uploads(bucket.id, "", None, 10) for _ in uploads)
    # The lone marker under v/ goes at the next run, and then nothing is left to do.
    assert runs(catalog).apply() == LifecycleReport(buckets=1, delete_markers_removed=1)
    assert runs(catalog).apply() == LifecycleReport(buckets=1)
    expired = catalog.list_events(action=EXPIRE, limit=100)
    assert len(expired) == 4 + 3 + 1
    assert {e.target for e in expired if e.detail["what"] == "delete_marker"} == {
        "bucket:alice/aging/v/gone"
    }
    assert len(catalog.list_events(action=ABORT, limit=100)) == 2


def test_runs_at_once_change_each_thing_once(catalog: Catalog, user: User, bucket: Repo) -> None:
    fill(catalog, bucket, user)
    configure(catalog, bucket)
    twin = make_repo(user, name="twin", type=RepoType.BUCKET)
    catalog.add_repo(twin)
    fill(catalog, twin, user)
    configure(catalog, twin)
    reports = run_together(4, lambda _: runs(catalog, page=2).apply())
    assert not [r for r in reports if isinstance(r, BaseException)]
    for repo in (bucket, twin):
        assert [e for e in state(catalog, repo) if e[0].startswith("v/a")] == [("v/a", True, False)]
        assert len([e for e in state(catalog, repo) if e[2] and e[0].startswith("old/")]) == 4
        assert catalog.list_uploads(repo.id, "", None, 10) == []
    # Each change was made, and audited, by exactly one of the runs. A run may find a marker
    # alone on its key once another run removed the version under it, and remove it too.
    changes = [
        (e.target, e.detail["version_id"]) for e in catalog.list_events(action=EXPIRE, limit=100)
    ]
    assert len(changes) == len(set(changes))
    markers = sum(target.endswith("/v/gone") for target, _ in changes)
    assert len(changes) == 2 * (4 + 3) + markers - 2
    aborted = [e.detail["version_id"] for e in catalog.list_events(action=ABORT, limit=100)]
    assert len(aborted) == len(set(aborted)) == 2 * 2


def test_an_unversioned_bucket_loses_its_expired_objects_for_good(
    catalog: Catalog, bucket: Repo
) -> None:
    for n in range(7):
        catalog.put_object(bucket.id, make_object(f"old/{n}", size=n))
    catalog.put_object(bucket.id, replace(make_object("old/fresh"), modified_at=LATER))
    configure(catalog, bucket, RULES[:1])
    assert runs(catalog).apply().objects_expired == 7
    assert [o.key for o in catalog.list_objects(bucket.id, "", None, 10)] == ["old/fresh"]
    assert catalog.get_repo(bucket.type, bucket.namespace, bucket.name).size == len("old/fresh")
