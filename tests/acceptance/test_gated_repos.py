"""Gated repos: listings stay open, files need a role of one's own or an accepted access
request, on REST, the CLI and the Hub API (with the real ``huggingface_hub`` client)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Cli

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def owner(live_server: LiveServer) -> Account:
    return make_user(live_server)


@pytest.fixture(scope="module")
def bob(live_server: LiveServer) -> Account:
    return make_user(live_server)


def gated_repo(server: LiveServer, owner: Account, mode: str, data: bytes = b"gated bytes") -> str:
    with server.client(owner.token) as c:
        repo = make_repo(c, owner.name)
        upload(c, repo, "weights.bin", data)
        changed = c.patch(f"/api/models/{repo}", json={"private": False, "gated": mode})
        assert changed.status_code == 200 and changed.json()["gated"] == mode, changed.text
    return repo


def test_manual_gating_over_rest(live_server: LiveServer, owner: Account, bob: Account) -> None:
    repo = gated_repo(live_server, owner, "manual")
    url = f"/api/models/{repo}/resolve/main/weights.bin"
    with live_server.client() as anonymous:
        got = anonymous.get(url)
        assert got.status_code == 401 and got.json()["error"]["code"] == "gated"
        assert anonymous.get(f"/api/models/{repo}/tree/main").status_code == 200
        # The gate comes before the path: a missing file behind it says nothing more.
        assert anonymous.get(f"/api/models/{repo}/resolve/main/nope").status_code == 401
        assert anonymous.post(f"/api/models/{repo}/access-requests").status_code == 401
        # The web pages too: the repo's page lists its files, their bytes stay behind the gate.
        page = anonymous.get(f"/ui/models/{repo}")
        assert page.status_code == 200 and "weights.bin" in page.text
        raw = anonymous.get(f"/ui/models/{repo}/raw", params={"path": "weights.bin"})
        assert raw.status_code == 401 and b"gated bytes" not in raw.content
    with live_server.client(bob.token) as c, live_server.client(owner.token) as admin:
        assert c.get(url).status_code == 403 and c.get(url).json()["error"]["code"] == "gated"
        assert c.head(url).status_code == 403
        asked = c.post(f"/api/models/{repo}/access-requests").json()
        assert (asked["user"], asked["status"]) == (bob.name, "pending")
        assert c.get(url).status_code == 403
        # Only repo admins see and decide requests; a requester cannot accept their own.
        assert c.get(f"/api/models/{repo}/access-requests").status_code == 403
        mine = c.put(f"/api/models/{repo}/access-requests/{bob.name}", json={"status": "accepted"})
        assert mine.status_code == 403
        pending = admin.get(f"/api/models/{repo}/access-requests").json()
        assert [r["user"] for r in pending] == [bob.name]
        decided = admin.put(
            f"/api/models/{repo}/access-requests/{bob.name}", json={"status": "accepted"}
        )
        assert decided.json()["decided_by"] == owner.name
        assert c.get(url).content == b"gated bytes"
        # Asking again changes nothing; a rejection takes access back.
        assert c.post(f"/api/models/{repo}/access-requests").json()["status"] == "accepted"
        admin.put(
            f"/api/models/{repo}/access-requests/{bob.name}",
            json={"status": "rejected", "reason": "licence"},
        ).raise_for_status()
        assert c.get(url).status_code == 403
        assert c.post(f"/api/models/{repo}/access-requests").json()["status"] == "rejected"
        # Turning gating off opens the files; turning it on again keeps the decision.
        admin.patch(f"/api/models/{repo}", json={"gated": "off"}).raise_for_status()
        assert c.get(url).content == b"gated bytes"
        admin.patch(f"/api/models/{repo}", json={"gated": "auto"}).raise_for_status()
        assert c.get(url).status_code == 403
        # The owner never needs a request.
        assert admin.get(url).content == b"gated bytes"


def test_auto_gating_accepts_on_asking_and_private_repos_stay_hidden(
    live_server: LiveServer, owner: Account, bob: Account
) -> None:
    repo = gated_repo(live_server, owner, "auto")
    url = f"/api/models/{repo}/resolve/main/weights.bin"
    with live_server.client(bob.token) as c:
        assert c.get(url).status_code == 403
        assert c.post(f"/api/models/{repo}/access-requests").json()["status"] == "accepted"
        assert c.get(url).content == b"gated bytes"
    with live_server.client(owner.token) as admin:
        hidden = make_repo(admin, owner.name, private=True)
        assert admin.patch(f"/api/models/{hidden}", json={"gated": "manual"}).status_code == 200
        bucket = make_repo(admin, owner.name, type="bucket")
        refused = admin.patch(f"/api/buckets/{bucket}", json={"gated": "manual"})
        assert refused.status_code == 400
        bad = admin.patch(f"/api/models/{hidden}", json={"gated": "sometimes"})
        assert bad.status_code in (400, 422)
    with live_server.client(bob.token) as c:
        # Gating does not reveal a private repo: no request, no 403, just not found.
        assert c.post(f"/api/models/{hidden}/access-requests").status_code == 404
        assert c.get(f"/api/models/{hidden}/resolve/main/x").status_code == 404


def test_the_hub_client_sees_the_gate_and_manages_requests(
    live_server: LiveServer, owner: Account, bob: Account, tmp_path: Path
) -> None:
    repo = gated_repo(live_server, owner, "manual")
    carol = make_user(live_server)
    with live_server.client(bob.token) as c:
        c.post(f"/api/models/{repo}/access-requests").raise_for_status()
    denied = run_hub(
        live_server,
        f"""
        def gated(token):
            try:
                hf_hub_download({repo!r}, "weights.bin", token=token)
            except hf_errors.GatedRepoError as exc:
                return [type(exc).__name__, exc.response.status_code]
            return None
        info = api.model_info({repo!r})
        print(json.dumps({{
            "gated": info.gated,
            "anonymous": gated(False),
            "bob": gated(None),
            "files": sorted(s.rfilename for s in info.siblings),
            "auth_check": [error_of(HfApi(token=False).auth_check, {repo!r}),
                           error_of(api.auth_check, {repo!r}),
                           error_of(api.auth_check, {repo!r} + "-missing")],
        }}))
        """,
        home=tmp_path / "bob",
        token=bob.token,
    )
    assert denied == {
        "gated": "manual",
        "anonymous": ["GatedRepoError", 401],
        "bob": ["GatedRepoError", 403],
        "files": ["weights.bin"],
        "auth_check": ["GatedRepoError", "GatedRepoError", "RepositoryNotFoundError"],
    }
    managed = run_hub(
        live_server,
        f"""
        pending = [r.username for r in api.list_pending_access_requests({repo!r})]
        api.accept_access_request({repo!r}, {bob.name!r})
        accepted = [r.username for r in api.list_accepted_access_requests({repo!r})]
        api.grant_access({repo!r}, {carol.name!r})
        again = error_of(api.grant_access, {repo!r}, {carol.name!r})
        ghost = error_of(api.accept_access_request, {repo!r}, "nobody-here")
        api.reject_access_request({repo!r}, {carol.name!r}, rejection_reason="no")
        rejected = [r.username for r in api.list_rejected_access_requests({repo!r})]
        api.update_repo_settings({repo!r}, gated="auto")
        print(json.dumps({{
            "pending": pending, "accepted": accepted, "again": again, "ghost": ghost,
            "rejected": rejected, "gated": api.model_info({repo!r}).gated,
            "write": error_of(api.auth_check, {repo!r}, write=True),
        }}))
        """,
        home=tmp_path / "owner",
        token=owner.token,
    )
    assert managed == {
        "pending": [bob.name],
        "accepted": [bob.name],
        "again": "BadRequestError",
        "ghost": "HfHubHTTPError",
        "rejected": [carol.name],
        "gated": "auto",
        "write": None,
    }
    allowed = run_hub(
        live_server,
        f"""
        path = hf_hub_download({repo!r}, "weights.bin")
        try:
            api.auth_check({repo!r}, write=True)
            write = None
        except hf_errors.HfHubHTTPError as exc:
            write = exc.response.status_code
        print(json.dumps([Path(path).read_text(), error_of(api.auth_check, {repo!r}), write]))
        """,
        home=tmp_path / "bob2",
        token=bob.token,
    )
    # An accepted request lets bob read the files, not change them.
    assert allowed == ["gated bytes", None, 403]
    outsider = run_hub(
        live_server,
        f"""
        print(json.dumps(error_of(lambda: list(api.list_pending_access_requests({repo!r})))))
        """,
        home=tmp_path / "carol",
        token=carol.token,
    )
    assert outsider == "HfHubHTTPError"


def test_the_cli_gates_asks_and_decides(
    live_server: LiveServer, owner: Account, bob: Account, tmp_path: Path
) -> None:
    with live_server.client(owner.token) as c:
        repo = make_repo(c, owner.name)
        upload(c, repo, "weights.bin", b"gated bytes")
        c.patch(f"/api/models/{repo}", json={"private": False}).raise_for_status()

    def cli_as(account: Account, name: str) -> Cli:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
        env.update(
            {
                "WEIGHTHOUSE_CONFIG_DIR": str(tmp_path / name / "config"),
                "WEIGHTHOUSE_URL": live_server.url,
                "WEIGHTHOUSE_TOKEN": account.token,
            }
        )
        (tmp_path / name).mkdir()
        return Cli(env, tmp_path / name)

    admin, user = cli_as(owner, "owner"), cli_as(bob, "bob")
    assert "manual" in admin.ok("repo", "gate", repo, "manual").stdout
    denied = user.run("pull", repo, "--to", str(tmp_path / "out"))
    assert denied.returncode == 1 and "gated" in denied.stderr and "Traceback" not in denied.stderr
    assert "pending" in user.ok("repo", "ask-access", repo).stdout
    assert bob.name in admin.ok("repo", "requests", repo).stdout
    admin.ok("repo", "approve", repo, bob.name)
    user.ok("pull", repo, "--to", str(tmp_path / "out"))
    assert (tmp_path / "out" / "weights.bin").read_bytes() == b"gated bytes"
    admin.ok("repo", "reject", repo, bob.name, "--reason", "licence")
    assert bob.name in admin.ok("repo", "requests", repo, "--status", "rejected").stdout


def test_a_hash_from_a_gated_listing_carries_no_bytes_past_the_gate(
    live_server: LiveServer, owner: Account, bob: Account
) -> None:
    """Listings show each file's SHA-256; naming it in a commit to a repo of one's own must
    not copy the gated bytes out, until the gate lets the user through."""
    # Bytes of this test's own: the other tests let bob through to repos holding theirs.
    secret = os.urandom(64)
    repo = gated_repo(live_server, owner, "manual", secret)
    with live_server.client(bob.token) as c, live_server.client(owner.token) as admin:
        [entry] = c.get(f"/api/models/{repo}/tree/main").json()["entries"]
        mine = make_repo(c, bob.name)
        copy = {
            "message": "copy",
            "operations": [
                {"op": "add", "path": "w.bin", "sha256": entry["sha256"], "size": entry["size"]}
            ],
        }
        refused = c.post(f"/api/models/{mine}/commit/main", json=copy)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "blob_unknown"
        checked = c.post(
            f"/api/models/{mine}/blobs/check",
            json={"blobs": [{"sha256": entry["sha256"], "size": entry["size"]}]},
        )
        assert checked.status_code == 200 and checked.json()["available"] == []
        assert c.get(f"/api/models/{mine}/resolve/main/w.bin").status_code == 404
        c.post(f"/api/models/{repo}/access-requests").raise_for_status()
        admin.put(
            f"/api/models/{repo}/access-requests/{bob.name}", json={"status": "accepted"}
        ).raise_for_status()
        assert c.post(f"/api/models/{mine}/commit/main", json=copy).status_code == 201
        assert c.get(f"/api/models/{mine}/resolve/main/w.bin").content == secret
