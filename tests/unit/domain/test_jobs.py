"""Submitting, seeing and cancelling jobs: inputs pinned and checked as the owner, results
checked for write, parameters against the app's schema, jobs visible only to their owner."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import (
    AppNotFoundError,
    AuthenticationError,
    InvalidInputError,
    JobNotFoundError,
    PermissionDeniedError,
    RepoNotFoundError,
    RevisionNotFoundError,
)
from weighthouse.domain.jobs import JobRequest, Jobs
from weighthouse.domain.jobs_model import AppSpec, JobStatus
from weighthouse.domain.model import RefKind, RepoId, RepoType, Scope

pytestmark = pytest.mark.unit

MODEL = RepoId(RepoType.MODEL, "alice", "bert")
SECRET = RepoId(RepoType.MODEL, "bob", "secret")
OUT = RepoId(RepoType.DATASET, "alice", "out")

ECHO = AppSpec(
    name="echo",
    queue="cpu",
    inputs={"model": "model"},
    parameters_schema={
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "times": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
            "mode": {"enum": ["a", "b"]},
        },
        "required": ["text"],
        "additionalProperties": False,
    },
    time_limit_seconds=60,
    max_attempts=2,
)


@pytest.fixture
def jobs(hub: Hub, alice: Principal, bob: Principal) -> Jobs:
    hub.repos.create(alice, MODEL, private=True)
    hub.repos.create(alice, OUT, private=True)
    hub.repos.create(bob, SECRET, private=True)
    return Jobs(hub.catalog, {"echo": ECHO}, hub.clock)


def request(**changes: object) -> JobRequest:
    fields: dict[str, object] = {
        "app": "echo",
        "inputs": {"model": (MODEL, "main")},
        "params": {"text": "hi"},
        "results": (OUT, "main"),
        "label": "exp",
    }
    fields.update(changes)
    return JobRequest(**fields)  # type: ignore[arg-type]


def test_a_job_is_queued_with_pinned_inputs_and_defaults(
    hub: Hub, jobs: Jobs, alice: Principal
) -> None:
    head = hub.catalog.get_ref(hub.repos.get(alice, MODEL).id, RefKind.BRANCH, "main")
    job = jobs.submit(alice, request())
    assert job.status is JobStatus.QUEUED and job.queue == "cpu"
    assert job.params == {"text": "hi", "times": 1}
    assert [(i.name, i.repo, i.commit) for i in job.inputs] == [
        ("model", "alice/bert", head.commit_id)
    ]
    assert job.results is not None and job.results.repo == "alice/out"
    assert (job.max_attempts, job.time_limit_seconds) == (2, 60)
    assert jobs.get(alice, job.id) == job
    hub.clock.advance(0.001)
    later = jobs.submit(alice, request())
    assert later.id > job.id


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "lacks 'text'"),
        ({"text": 3}, "type string"),
        ({"text": "x", "times": 0}, "at least 1"),
        ({"text": "x", "times": True}, "type integer"),
        ({"text": "x", "mode": "c"}, "one of"),
        ({"text": "x", "extra": 1}, "unknown parameter"),
        ([1], "JSON object"),
    ],
)
def test_parameters_must_fit_the_schema(
    jobs: Jobs, alice: Principal, params: object, problem: str
) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        jobs.submit(alice, request(params=params))


def test_inputs_must_be_declared_readable_and_of_the_right_kind(
    jobs: Jobs, alice: Principal
) -> None:
    with pytest.raises(InvalidInputError, match="needs the input"):
        jobs.submit(alice, request(inputs={}))
    with pytest.raises(InvalidInputError, match="no input 'other'"):
        jobs.submit(alice, request(inputs={"model": (MODEL, "main"), "other": (MODEL, "main")}))
    with pytest.raises(RepoNotFoundError):
        jobs.submit(alice, request(inputs={"model": (SECRET, "main")}))
    with pytest.raises(InvalidInputError, match="must be a model repo"):
        jobs.submit(alice, request(inputs={"model": (OUT, "main")}))
    with pytest.raises(RevisionNotFoundError):
        jobs.submit(alice, request(inputs={"model": (MODEL, "nope")}))
    with pytest.raises(AppNotFoundError, match="no app named"):
        jobs.submit(alice, request(app="nope"))


def test_results_need_write_access_and_an_existing_branch(
    hub: Hub, jobs: Jobs, alice: Principal, bob: Principal
) -> None:
    with pytest.raises(RevisionNotFoundError):
        jobs.submit(alice, request(results=(OUT, "nope")))
    hub.repos.update(alice, MODEL, private=False)
    # Bob reads alice's public model, but may not write results into her repo.
    with pytest.raises(RepoNotFoundError):
        jobs.submit(bob, request(results=(OUT, "main")))
    public_out = RepoId(RepoType.MODEL, "alice", "bert")
    with pytest.raises(PermissionDeniedError):
        jobs.submit(bob, request(results=(public_out, "main")))
    readonly = Principal(user=alice.user, scope=Scope.READ)
    with pytest.raises(PermissionDeniedError):
        jobs.submit(readonly, request())
    with pytest.raises(PermissionDeniedError):
        jobs.submit(readonly, request(results=None))
    job = jobs.submit(bob, request(results=None))
    assert job.results is None
    # A read-only credential reads its owner's job but may not cancel it.
    bob_readonly = Principal(user=bob.user, scope=Scope.READ)
    assert jobs.get(bob_readonly, job.id).id == job.id
    with pytest.raises(PermissionDeniedError):
        jobs.cancel(bob_readonly, job.id)


def test_others_cannot_see_or_cancel_a_job_but_admins_can(
    hub: Hub, jobs: Jobs, alice: Principal, bob: Principal
) -> None:
    job = jobs.submit(alice, request())
    for call in (jobs.get, jobs.cancel):
        with pytest.raises(JobNotFoundError):
            call(bob, job.id)
    with pytest.raises(AuthenticationError):
        jobs.get(Principal(), job.id)
    assert jobs.list(bob) == []
    with pytest.raises(InvalidInputError):
        jobs.list(bob, everyone=True)
    with pytest.raises(JobNotFoundError):
        jobs.get(alice, "../../etc")
    admin = hub.user("root", is_admin=True, scope=Scope.ADMIN)
    assert jobs.get(admin, job.id) == job
    assert [j.id for j in jobs.list(admin, everyone=True)] == [job.id]
    assert jobs.cancel(admin, job.id).status is JobStatus.CANCELLED


def test_cancel_of_a_queued_job_ends_it_and_listing_filters(
    hub: Hub, jobs: Jobs, alice: Principal
) -> None:
    first = jobs.submit(alice, request())
    hub.clock.advance()
    second = jobs.submit(alice, request())
    assert jobs.cancel(alice, first.id).status is JobStatus.CANCELLED
    assert [j.id for j in jobs.list(alice)] == [second.id, first.id]
    assert [j.id for j in jobs.list(alice, status=JobStatus.QUEUED)] == [second.id]
    assert jobs.queue_sizes(alice, "echo") == {
        JobStatus.QUEUED: 1,
        JobStatus.CANCELLED: 1,
    }
