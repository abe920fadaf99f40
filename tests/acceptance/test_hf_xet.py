"""Xet uploads: the current ``huggingface_hub`` with ``hf_xet`` (no ``HF_HUB_DISABLE_XET``)
uploads through the write token and the CAS, the server rebuilds and checks each file, and
downloads stay plain HTTP. Then what a tampering client and another user can and cannot do."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import HUB_LATEST
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

FIXTURES = Path(__file__).parents[1] / "unit" / "frontends" / "xet"
MIXED_XORB = "7e371de5014739341dcab6fcc77994d6adb372f6e2e0c63520a1704df00abd19"
FLOATS_XORB = "c1bb16e19b55675e2b23044add5519dab9d9cd6f764a95bf1d23838a33c1cd1f"


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> Account:
    return make_user(live_server)


@pytest.fixture(scope="module")
def bob(live_server: LiveServer) -> Account:
    return make_user(live_server)


def latest_xet_client() -> str:
    """The newest ``huggingface_hub`` and ``hf_xet`` when the cached environment was built."""
    return HUB_LATEST.python()


def test_the_xet_client_uploads_and_plain_http_downloads(
    live_server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    repo = f"{alice.name}/{unique()}"
    small, large = os.urandom(300_000), os.urandom(20 * 2**20)
    (tmp_path / "large.bin").write_bytes(large)
    (tmp_path / "small.bin").write_bytes(small)
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"x": 1}')
    (folder / "sub" / "w.safetensors").write_bytes(small[::-1] * 4)
    # The same bytes again: the client's shard cache sends a shard and no xorb.
    (folder / "again.bin").write_bytes(small)
    out = run_hub(
        live_server,
        f"""
        from huggingface_hub.utils._runtime import is_xet_available
        repo = {repo!r}
        api.create_repo(repo)
        api.upload_file(path_or_fileobj=Path("small.bin").read_bytes(), path_in_repo="small.bin",
                        repo_id=repo)
        api.upload_file(path_or_fileobj="large.bin", path_in_repo="large.bin", repo_id=repo)
        api.upload_folder(folder_path="folder", repo_id=repo, path_in_repo="f")
        snap = Path(snapshot_download(repo, cache_dir="dl"))
        print(json.dumps({{
            "xet": is_xet_available(),
            "version": hh.__version__,
            "files": {{str(p.relative_to(snap)): sha256_of(p)
                      for p in sorted(snap.rglob("*")) if p.is_file()}},
            "lfs": {{f.path: f.lfs.sha256 if f.lfs else None
                    for f in api.list_repo_tree(repo, recursive=True) if hasattr(f, "lfs")}},
        }}))
        """,
        home=tmp_path,
        token=alice.token,
        python=latest_xet_client(),
        HF_HUB_DISABLE_XET="0",
    )
    assert out["xet"] is True, out["version"]
    digest = {
        "small.bin": hashlib.sha256(small).hexdigest(),
        "large.bin": hashlib.sha256(large).hexdigest(),
        "f/config.json": hashlib.sha256(b'{"x": 1}').hexdigest(),
        "f/sub/w.safetensors": hashlib.sha256(small[::-1] * 4).hexdigest(),
        "f/again.bin": hashlib.sha256(small).hexdigest(),
    }
    assert out["files"] == digest
    assert out["lfs"]["large.bin"] == digest["large.bin"]
    assert out["lfs"]["f/config.json"] is None
    with httpx.Client(base_url=live_server.url, timeout=60) as rest:
        got = rest.get(
            f"/api/models/{repo}/resolve/main/large.bin",
            headers={"Authorization": f"Bearer {alice.token}"},
        )
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest["large.bin"]


def write_token(client: httpx.Client, repo: str, token: str) -> httpx.Response:
    return client.get(
        f"/api/models/{repo}/xet-write-token/main", headers={"Authorization": f"Bearer {token}"}
    )


def cas(client: httpx.Client, repo: str, token: str) -> httpx.Client:
    answer = write_token(client, repo, token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert answer.headers["X-Xet-Access-Token"] == body["accessToken"]
    assert answer.headers["X-Xet-Cas-Url"] == body["casUrl"]
    assert int(answer.headers["X-Xet-Token-Expiration"]) == body["exp"]
    return httpx.Client(
        base_url=body["casUrl"],
        headers={"Authorization": f"Bearer {body['accessToken']}"},
        timeout=30,
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_tampered_xorbs_and_shards_are_refused(live_server: LiveServer, alice: Account) -> None:
    repo = f"{alice.name}/{unique()}"
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as hub:
        assert hub.post(
            "/api/repos/create", json={"name": repo.split("/")[1]},
            headers={"Authorization": f"Bearer {alice.token}"},
        ).status_code == 200  # fmt: skip
        with cas(hub, repo, alice.token) as c:
            assert c.get(f"/v1/chunks/default/{MIXED_XORB}").status_code == 404
            assert c.post(f"/v1/xorb-grants/default/{MIXED_XORB}", json={}).status_code == 404
            assert c.post("/v2/shards", content=b"").status_code == 404
            xorb = fixture("mixed.xorb")
            # Under another xorb's name, and with one byte changed: nothing is stored.
            wrong = c.post(f"/v1/xorbs/default/{FLOATS_XORB}", content=xorb)
            assert wrong.status_code == 400 and "does not match" in wrong.json()["error"]
            flipped = xorb[:500] + bytes([xorb[500] ^ 1]) + xorb[501:]
            assert c.post(f"/v1/xorbs/default/{MIXED_XORB}", content=flipped).status_code == 400
            bad_name = c.post("/v1/xorbs/default/..%2F..%2Fetc", content=xorb)
            assert bad_name.status_code == 400
            # The shard needs its xorb first.
            shard = fixture("mixed.shard")
            early = c.post("/v1/shards", content=shard)
            assert early.status_code == 400 and MIXED_XORB in early.json()["error"]
            stored = c.post(f"/v1/xorbs/default/{MIXED_XORB}", content=xorb)
            assert stored.status_code == 200 and stored.json() == {"was_inserted": True}
            again = c.post(f"/v1/xorbs/default/{MIXED_XORB}", content=xorb)
            assert again.json() == {"was_inserted": False}
            # A shard claiming another SHA-256, or other chunks, is refused.
            lying = bytearray(shard)
            lying[48 * 4] ^= 1  # first byte of the SHA-256 extension
            refused = c.post("/v1/shards", content=bytes(lying))
            assert refused.status_code == 400, refused.text
            ranged = bytearray(shard)
            ranged[48 * 3] ^= 1  # the term's range hash
            assert c.post("/v1/shards", content=bytes(ranged)).status_code == 400
            assert c.post("/v1/shards", content=b"garbage" * 10).status_code == 400
            assert c.post("/v1/shards", content=shard).json() == {"result": 1}
        # The rebuilt file is now the caller's to commit, over the plain commit API.
        sha = hashlib.sha256(b"".join(_mixed_source())).hexdigest()
        committed = hub.post(
            f"/api/models/{repo}/commit/main",
            headers={
                "Authorization": f"Bearer {alice.token}",
                "Content-Type": "application/x-ndjson",
            },
            content=(
                '{"key":"header","value":{"summary":"xet"}}\n'
                f'{{"key":"lfsFile","value":{{"path":"m.bin","algo":"sha256","oid":"{sha}",'
                f'"size":374004}}}}\n'
            ),
        )
        assert committed.status_code == 200, committed.text
        got = hub.get(
            f"/{repo}/resolve/main/m.bin", headers={"Authorization": f"Bearer {alice.token}"}
        )
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha


def _mixed_source() -> list[bytes]:
    """The file behind ``mixed.xorb`` (see tests/unit/frontends/xet/README.md)."""
    import random

    r = random.Random(7)
    data = bytes(r.getrandbits(8) for _ in range(70_000)) + b"weighthouse xet fixture " * 6000
    return [data, *(struct.pack("<f", r.gauss(0, 0.02)) for _ in range(40000)), b"tail"]


def test_xet_tokens_are_bound_to_their_user_and_repo(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    mine, theirs = f"{alice.name}/{unique()}", f"{bob.name}/{unique()}"
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as hub:
        for repo, owner in ((mine, alice), (theirs, bob)):
            made = hub.post(
                "/api/repos/create",
                json={"name": repo.split("/")[1], "visibility": "public"},
                headers={"Authorization": f"Bearer {owner.token}"},
            )
            assert made.status_code == 200
        # Bob may read alice's public repo but not write to it; a read token writes nowhere.
        assert write_token(hub, mine, bob.token).status_code == 403
        assert write_token(hub, mine, alice.read_token).status_code == 403
        assert write_token(hub, mine, "not-a-token").status_code == 401
        anonymous = hub.get(f"/api/models/{mine}/xet-write-token/main")
        assert anonymous.status_code in (401, 403)
        with cas(hub, mine, alice.token) as c:
            assert (
                c.post(
                    f"/v1/xorbs/default/{FLOATS_XORB}", content=fixture("floats.xorb")
                ).status_code
                == 200
            )
        with cas(hub, theirs, bob.token) as c:
            # Knowing alice's xorb hash gets bob nothing.
            refused = c.post("/v1/shards", content=fixture("floats.shard"))
            assert refused.status_code == 400 and FLOATS_XORB in refused.json()["error"]
        # No Xet token: the Hub token is not one; a garbled one is refused.
        for token in (alice.token, "x" * 40):
            c = httpx.Client(
                base_url=f"{live_server.url}/hf/xet", headers={"Authorization": f"Bearer {token}"}
            )
            with c:
                assert c.post("/v1/shards", content=fixture("floats.shard")).status_code == 401
