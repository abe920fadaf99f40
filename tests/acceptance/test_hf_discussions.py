"""Discussions and pull requests through ``huggingface_hub``: readers open and talk, pull
requests are ``refs/pr/<num>`` branches the client commits to and downloads from, only
writers merge, and a merge that would overwrite a change on the target is refused.

One client process per client line, so the suite pays for two interpreter starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import HUB_0_36
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def erin(live_server: LiveServer) -> Account:
    return make_user(live_server)


@pytest.fixture(scope="module")
def frank(live_server: LiveServer) -> Account:
    return make_user(live_server)


LATEST = """
repo, private = {repo!r}, {private!r}
frank = HfApi(token={frank!r})
frank_read = HfApi(token={frank_read!r})
anonymous = HfApi(token=False)
def status_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except hf_errors.HfHubHTTPError as exc:
        return [type(exc).__name__, exc.response.status_code]
    return None
api.create_repo(repo, private=False)
api.create_repo(private, private=True)
api.upload_file(path_or_fileobj=b'{{"v": 1}}', path_in_repo="config.json", repo_id=repo)
out = {{}}
# A reader opens a discussion and talks in it.
opened = frank.create_discussion(repo, "A question", description="Does it work?")
out["opened"] = [opened.num, opened.is_pull_request, opened.status, opened.author]
said = frank.comment_discussion(repo, opened.num, "More detail")
out["edited"] = frank.edit_discussion_comment(repo, opened.num, said.id, "Even more").content
out["edit_by_other"] = status_of(api.edit_discussion_comment, repo, opened.num, said.id, "x")
out["renamed"] = frank.rename_discussion(repo, opened.num, "Renamed").new_title
out["closed"] = frank.change_discussion_status(repo, opened.num, "closed").new_status
# Hiding: for good, by the comment's author or a writer.
owners = api.comment_discussion(repo, opened.num, "From the owner")
out["hide_by_other"] = status_of(frank.hide_discussion_comment, repo, opened.num, owners.id)
out["hide_read_only"] = status_of(frank_read.hide_discussion_comment, repo, opened.num, said.id)
gone = api.hide_discussion_comment(repo, opened.num, said.id)
out["hidden"] = [gone.hidden, gone.content]
events = api.get_discussion_details(repo, opened.num).events
out["after_hide"] = [[e.hidden, e.content] for e in events if e.type == "comment"]
out["edit_hidden"] = status_of(frank.edit_discussion_comment, repo, opened.num, said.id, "back")
out["own_hide"] = frank.hide_discussion_comment(repo, opened.num, events[0].id).hidden
out["hide_twice"] = api.hide_discussion_comment(repo, opened.num, said.id).hidden
out["hide_missing"] = status_of(api.hide_discussion_comment, repo, opened.num, "f" * 24)
out["read_only"] = status_of(frank_read.create_discussion, repo, "no")
# A writer opens a pull request with a commit, then adds to it.
info = api.create_commit(repo, [hh.CommitOperationAdd("config.json", b'{{"v": 2}}'),
                                hh.CommitOperationAdd("b.txt", b"b")],
                         commit_message="Change config", create_pr=True)
out["pr"] = [info.pr_revision, info.pr_num]
api.upload_file(path_or_fileobj=b"c", path_in_repo="c.txt", repo_id=repo,
                revision=info.pr_revision)
out["pr_file"] = Path(hf_hub_download(repo, "config.json", revision=info.pr_revision)).read_text()
out["main_file"] = Path(hf_hub_download(repo, "config.json")).read_text()
refs = api.list_repo_refs(repo, include_pull_requests=True)
out["refs"] = [[b.name for b in refs.branches], [p.ref for p in refs.pull_requests]]
out["pr_files"] = sorted(api.list_repo_files(repo, revision=info.pr_revision))
out["listed"] = sorted([d.num, d.is_pull_request, d.status]
                       for d in anonymous.get_repo_discussions(repo))
out["only_prs"] = [d.num for d in api.get_repo_discussions(repo, discussion_type="pull_request")]
# Only writers merge.
out["merge_by_reader"] = status_of(frank.merge_pull_request, repo, info.pr_num)
api.merge_pull_request(repo, info.pr_num, comment="Thanks")
details = api.get_discussion_details(repo, info.pr_num)
out["merged"] = [details.status, details.merge_commit_oid == api.model_info(repo).sha,
                 details.target_branch, [e.type for e in details.events]]
out["main_after"] = sorted(api.list_repo_files(repo))
out["merged_config"] = Path(hf_hub_download(repo, "config.json")).read_text()
# A draft pull request by a reader, and a conflict the merge refuses.
draft = frank.create_pull_request(repo, "Later")
api.upload_file(path_or_fileobj=b'{{"v": 3}}', path_in_repo="config.json", repo_id=repo,
                revision=f"refs/pr/{{draft.num}}")
out["reader_commit_to_own_pr"] = status_of(
    frank.upload_file, path_or_fileobj=b"f", path_in_repo="f.txt", repo_id=repo,
    revision=f"refs/pr/{{draft.num}}")
api.upload_file(path_or_fileobj=b'{{"v": 4}}', path_in_repo="config.json", repo_id=repo)
later = api.get_discussion_details(repo, draft.num)
out["draft"] = [later.status, later.conflicting_files]
out["conflict"] = status_of(api.merge_pull_request, repo, draft.num)
out["missing"] = status_of(api.get_discussion_details, repo, 99)
out["private_anonymous"] = error_of(lambda: list(anonymous.get_repo_discussions(private)))
out["pr_on_private_by_stranger"] = error_of(frank.create_discussion, private, "hello")
print(json.dumps(out))
"""


def test_discussions_and_pull_requests(
    live_server: LiveServer, erin: Account, frank: Account, tmp_path: Path
) -> None:
    repo, private = f"{erin.name}/{unique()}", f"{erin.name}/{unique()}"
    out = run_hub(
        live_server,
        LATEST.format(repo=repo, private=private, frank=frank.token, frank_read=frank.read_token),
        home=tmp_path,
        token=erin.token,
    )
    assert out["opened"] == [1, False, "open", frank.name]
    assert out["edited"] == "Even more"
    assert out["edit_by_other"] == ["HfHubHTTPError", 403]
    assert out["renamed"] == "Renamed"
    assert out["closed"] == "closed"
    assert out["hide_by_other"] == ["HfHubHTTPError", 403]
    assert out["hide_read_only"] == ["HfHubHTTPError", 403]
    assert out["hidden"] == [True, ""]
    assert out["after_hide"] == [[False, "Does it work?"], [True, ""], [False, "From the owner"]]
    assert out["edit_hidden"] == ["BadRequestError", 400]
    assert out["own_hide"] is True and out["hide_twice"] is True
    assert out["hide_missing"] == ["HfHubHTTPError", 404]
    assert out["read_only"] == ["HfHubHTTPError", 403]
    assert out["pr"] == ["refs/pr/2", 2]
    assert out["pr_file"] == '{"v": 2}'
    assert out["main_file"] == '{"v": 1}'
    assert out["refs"] == [["main"], ["refs/pr/2"]]
    assert out["pr_files"] == ["b.txt", "c.txt", "config.json"]
    assert out["listed"] == [[1, False, "closed"], [2, True, "open"]]
    assert out["only_prs"] == [2]
    assert out["merge_by_reader"] == ["HfHubHTTPError", 403]
    status, same_sha, target, events = out["merged"]
    assert [status, same_sha, target] == ["merged", True, "main"]
    assert events.count("commit") == 2 and events[-1] == "status-change"
    assert out["main_after"] == ["b.txt", "c.txt", "config.json"]
    assert out["merged_config"] == '{"v": 2}'
    # A reader adds files to their own pull request (test_hf_reader_pull_requests.py).
    assert out["reader_commit_to_own_pr"] is None
    assert out["draft"] == ["draft", ["config.json"]]
    assert out["conflict"] == ["HfHubHTTPError", 412]
    assert out["missing"] == ["HfHubHTTPError", 404]
    assert out["private_anonymous"] == "RepositoryNotFoundError"
    assert out["pr_on_private_by_stranger"] == "RepositoryNotFoundError"


OLD_LINE = """
repo = {repo!r}
api.create_repo(repo, private=False)
api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id=repo)
info = api.upload_file(path_or_fileobj=b"2", path_in_repo="a.txt", repo_id=repo, create_pr=True)
pr = Path(hf_hub_download(repo, "a.txt", revision="refs/pr/1")).read_text()
api.merge_pull_request(repo, 1)
print(json.dumps({{"version": hh.__version__, "url": info.pr_url.split("/")[-2:], "pr": pr,
                   "main": Path(hf_hub_download(repo, "a.txt")).read_text(),
                   "status": api.get_discussion_details(repo, 1).status}}))
"""


def test_the_0_36_client_pull_request(
    live_server: LiveServer, erin: Account, tmp_path: Path
) -> None:
    python = HUB_0_36.python()
    repo = f"{erin.name}/{unique()}"
    out = run_hub(
        live_server, OLD_LINE.format(repo=repo), home=tmp_path, token=erin.token, python=python
    )
    assert out == {
        "version": "0.36.2",
        "url": ["discussions", "1"],
        "pr": "2",
        "main": "2",
        "status": "merged",
    }


def test_rest_lists_and_reads_what_the_hub_api_made(
    live_server: LiveServer, erin: Account, frank: Account, tmp_path: Path
) -> None:
    repo = f"{erin.name}/{unique()}"
    run_hub(
        live_server,
        f"""
repo = {repo!r}
api.create_repo(repo, private=False)
api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id=repo)
HfApi(token={frank.token!r}).create_discussion(repo, "Hello", description="first")
api.upload_file(path_or_fileobj=b"2", path_in_repo="a.txt", repo_id=repo, create_pr=True)
print(json.dumps(None))
""",
        home=tmp_path,
        token=erin.token,
    )
    with live_server.client() as anonymous:
        page = anonymous.get(f"/api/models/{repo}/discussions", params={"limit": 1})
        assert page.status_code == 200, page.text
        listed = page.json()
        assert listed["total"] == 2
        assert [(d["num"], d["is_pull_request"], d["ref"]) for d in listed["items"]] == [
            (2, True, "refs/pr/2")
        ]
        only = anonymous.get(
            f"/api/models/{repo}/discussions", params={"type": "discussion", "author": frank.name}
        ).json()
        assert [(d["num"], d["author"]) for d in only["items"]] == [(1, frank.name)]
        one = anonymous.get(f"/api/models/{repo}/discussions/1").json()
        assert [(e["kind"], e["content"]) for e in one["events"]] == [("comment", "first")]
        pr = anonymous.get(f"/api/models/{repo}/discussions/2").json()
        assert (pr["status"], pr["target_branch"], pr["conflicts"]) == ("open", "main", [])
        assert [e["kind"] for e in pr["events"]] == ["commit"]
        assert anonymous.get(f"/api/models/{repo}/discussions/3").status_code == 404
        assert anonymous.get(f"/api/models/{repo}/discussions/0").status_code == 404
        # The pull request's branch is a revision like any other on REST too.
        got = anonymous.get(f"/api/models/{repo}/resolve/refs%2Fpr%2F2/a.txt")
        assert (got.status_code, got.content) == (200, b"2")
