"""A push queues inspect and scan on the weight files it adds, as the pusher, pinned to the new
commit, in the same unit of work as the commit; other files queue nothing, and a job that cannot
be queued never fails the push."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.unit.domain.conftest import GRACE, Hub

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobProof
from weighthouse.domain.commits import Commits
from weighthouse.domain.jobs import Jobs
from weighthouse.domain.jobs_model import AppSpec, JobQuery
from weighthouse.domain.model import Commit, RefKind, Repo, RepoId, RepoType
from weighthouse.domain.push_jobs import APPS, PushJobs

pytestmark = pytest.mark.unit

MODEL = RepoId(RepoType.MODEL, "alice", "bert")
PATHS = {
    "type": "object",
    "properties": {"paths": {"type": "array"}, "result_files": {"type": "boolean"}},
}


def spec(name: str) -> AppSpec:
    return AppSpec(name, name, {"model": "any"}, PATHS, 60, 3)


def wired(hub: Hub, installed: tuple[str, ...]) -> tuple[Commits, Jobs]:
    jobs = Jobs(hub.catalog, {name: spec(name) for name in installed}, hub.clock)
    proof = BlobProof(hub.catalog, hub.blobs, hub.clock, GRACE)
    commits = Commits(hub.catalog, hub.blobs, hub.clock, proof, on_commit=PushJobs(jobs, installed))
    return commits, jobs


def push(commits: Commits, alice: Principal, path: str, data: bytes = b"x") -> Commit:
    commit, _ = commits.upload_file(alice, MODEL, "main", path, [data], size=len(data))
    return commit


def queued(hub: Hub) -> list[tuple[str, str, tuple[str, ...], str]]:
    return sorted(
        (job.app, job.owner_id, tuple(job.params.get("paths", ())), job.inputs[0].commit)
        for job in hub.catalog.list_jobs(JobQuery())
    )


def test_weight_files_queue_inspect_and_pickles_also_scan(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL, private=True)
    commits, _ = wired(hub, ("inspect", "scan", "embed"))
    push(commits, alice, "config.json", b"{}")
    assert queued(hub) == []
    first = push(commits, alice, "model.safetensors")
    second = push(commits, alice, "sub/PYTORCH_MODEL.BIN")
    owner = alice.user.id if alice.user else ""
    assert queued(hub) == [
        ("inspect", owner, ("model.safetensors",), first.id),
        ("inspect", owner, ("sub/PYTORCH_MODEL.BIN",), second.id),
        ("scan", owner, ("sub/PYTORCH_MODEL.BIN",), second.id),
    ]


def test_only_installed_apps_are_queued(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL)
    commits, _ = wired(hub, ("scan",))
    push(commits, alice, "model.safetensors")
    push(commits, alice, "evil.pkl")
    assert [job[:3] for job in queued(hub)] == [("scan", alice.user.id, ("evil.pkl",))]  # type: ignore[union-attr]


def test_the_commit_and_its_jobs_are_one_unit_of_work(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL)
    repo = hub.repos.get(alice, MODEL)
    head = hub.catalog.get_ref(repo.id, RefKind.BRANCH, "main").commit_id

    def crash(principal: Principal, repo: Repo, commit: Commit, added: object) -> None:
        PushJobs(Jobs(hub.catalog, {"scan": spec("scan")}, hub.clock), ("scan",))(
            principal, repo, commit, ["evil.pkl"]
        )
        raise RuntimeError("the process died here")

    proof = BlobProof(hub.catalog, hub.blobs, hub.clock, GRACE)
    commits = Commits(hub.catalog, hub.blobs, hub.clock, proof, on_commit=crash)
    with pytest.raises(RuntimeError):
        push(commits, alice, "evil.pkl")
    assert hub.catalog.get_ref(repo.id, RefKind.BRANCH, "main").commit_id == head
    assert queued(hub) == []


def test_a_job_that_cannot_be_queued_does_not_fail_the_push(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL)
    # The app's schema refuses the paths parameter: the job is refused, the commit stands.
    jobs = Jobs(hub.catalog, {"inspect": AppSpec("inspect", "inspect", {"model": "any"},
                {"type": "object", "additionalProperties": False}, 60, 3)}, hub.clock)  # fmt: skip
    proof = BlobProof(hub.catalog, hub.blobs, hub.clock, GRACE)
    commits = Commits(
        hub.catalog, hub.blobs, hub.clock, proof, on_commit=PushJobs(jobs, ("inspect",))
    )
    commit = push(commits, alice, "model.safetensors")
    repo = hub.repos.get(alice, MODEL)
    assert hub.catalog.get_ref(repo.id, RefKind.BRANCH, "main").commit_id == commit.id
    assert queued(hub) == []


class SeenByWorkers:
    """A dispatch that, when told of a job, looks for it as a worker would: from another
    thread, which sees only what is committed."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self.seen: list[list[str]] = []

    def queued(self, queue: str) -> None:
        with ThreadPoolExecutor(1) as other:
            found = other.submit(self._hub.catalog.list_jobs, JobQuery())
            self.seen.append(sorted(job.app for job in found.result(timeout=5)))


def test_workers_are_told_of_a_push_s_jobs_only_once_the_push_is_committed(
    hub: Hub, alice: Principal
) -> None:
    hub.repos.create(alice, MODEL)
    dispatch = SeenByWorkers(hub)
    jobs = Jobs(hub.catalog, {name: spec(name) for name in APPS}, hub.clock, dispatch)
    proof = BlobProof(hub.catalog, hub.blobs, hub.clock, GRACE)
    commits = Commits(hub.catalog, hub.blobs, hub.clock, proof, on_commit=PushJobs(jobs, APPS))
    push(commits, alice, "model.bin")
    assert dispatch.seen == [["inspect", "scan"], ["inspect", "scan"]]


def test_workers_are_not_told_of_the_jobs_of_a_push_that_failed(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, MODEL)
    dispatch = SeenByWorkers(hub)
    jobs = Jobs(hub.catalog, {"scan": spec("scan")}, hub.clock, dispatch)

    def crash(principal: Principal, repo: Repo, commit: Commit, added: object) -> None:
        PushJobs(jobs, ("scan",))(principal, repo, commit, ["evil.pkl"])
        raise RuntimeError("the process died here")

    proof = BlobProof(hub.catalog, hub.blobs, hub.clock, GRACE)
    commits = Commits(hub.catalog, hub.blobs, hub.clock, proof, on_commit=crash)
    with pytest.raises(RuntimeError):
        push(commits, alice, "evil.pkl")
    assert dispatch.seen == []
