"""git-lfs multipart uploads through the Hub API: the real clients send a file larger than one
part as signed part PUTs plus a completion, and download the same bytes; forged, misnumbered,
borrowed and wrong parts are refused and leave nothing behind."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import Account, make_user, unique
from tests.acceptance.client_envs import HUB_0_36
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

MiB = 2**20
BIG = 300 * 10**6
LFS = {"Accept": "application/vnd.git-lfs+json"}
CLOSE = {"Connection": "close"}
"""For requests refused before their body is read: the server then closes the connection."""

UPLOAD = """
import huggingface_hub.lfs as lfs
parts = []
real = lfs._upload_multi_part
def counted(**kwargs):
    parts.append([int(kwargs["chunk_size"]), len([k for k in kwargs["header"] if k.isdigit()])])
    return real(**kwargs)
lfs._upload_multi_part = counted
repo = {repo!r}
api.create_repo(repo)
info = api.upload_file(path_or_fileobj="big.bin", path_in_repo="weights/big.bin", repo_id=repo)
os.remove("big.bin")
got = hf_hub_download(repo, "weights/big.bin", revision=info.oid)
print(json.dumps({{
    "parts": parts, "sha256": sha256_of(got), "size": os.path.getsize(got),
    "lfs": [[t.lfs.sha256, t.lfs.size] for t in api.list_repo_tree(repo, "weights")],
}}))
"""


@pytest.fixture(scope="module")
def erin(live_server: LiveServer) -> Account:
    return make_user(live_server)


def _write_random(path: Path, size: int) -> str:
    """``size`` random bytes at ``path``, written a MiB at a time; their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for start in range(0, size, MiB):
            piece = os.urandom(min(MiB, size - start))
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


@pytest.mark.parametrize("line", ["latest", "0.36"])
def test_a_large_file_goes_up_in_parts_and_comes_back_whole(
    live_server: LiveServer, erin: Account, tmp_path: Path, line: str
) -> None:
    python = HUB_0_36.python() if line == "0.36" else None
    sha256 = _write_random(tmp_path / "big.bin", BIG)
    repo = f"{erin.name}/{unique()}"
    out = run_hub(
        live_server,
        UPLOAD.format(repo=repo),
        home=tmp_path,
        token=erin.token,
        **({"python": python} if python else {}),
    )
    # The server's default part is 64 MiB: five parts, the last one short.
    assert out["parts"] == [[64 * MiB, 5]]
    assert out["sha256"] == sha256 and out["size"] == BIG
    assert out["lfs"] == [[sha256, BIG]]
    with live_server.client(erin.token) as rest:
        got = rest.head(f"/api/models/{repo}/resolve/main/weights/big.bin")
        assert got.status_code == 200, got.text
        assert int(got.headers["content-length"]) == BIG


@pytest.fixture(scope="module")
def small_parts(
    tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[LiveServer]:
    """A server whose parts are 1 MiB, so the raw protocol is exercised with small objects."""
    server = LiveServer(
        data_dir=tmp_path_factory.mktemp("parts") / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_HF__LFS_PART_BYTES": str(MiB)},
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _batch(
    c: httpx.Client, repo: str, data: bytes, token: str | None, transfers: list[str]
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return c.post(
        f"/{repo}.git/info/lfs/objects/batch",
        json={
            "operation": "upload",
            "transfers": transfers,
            "objects": [{"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}],
            "hash_algo": "sha256",
        },
        headers={**LFS, **auth},
    )


def _upload_parts(c: httpx.Client, header: dict[str, str], data: bytes) -> list[str]:
    size = int(header["chunk_size"])
    etags = []
    for n in range(1, len(data) // size + 2):
        if str(n) not in header:
            break
        done = c.put(header[str(n)], content=data[(n - 1) * size : n * size])
        assert done.status_code == 200, done.text
        etags.append(done.headers["etag"])
    return etags


def _completion(oid: str, etags: list[str]) -> dict[str, object]:
    return {"oid": oid, "parts": [{"partNumber": n, "etag": e} for n, e in enumerate(etags, 1)]}


def test_the_multipart_protocol_refuses_what_it_must(small_parts: LiveServer) -> None:
    alice, mallory = make_user(small_parts), make_user(small_parts)
    repo = f"{alice.name}/{unique()}"
    data = os.urandom(2 * MiB + 12345)
    oid = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=f"{small_parts.url}/hf", timeout=60) as c:
        made = c.post(
            "/api/repos/create",
            json={"name": repo},
            headers={"Authorization": f"Bearer {alice.token}"},
        )
        assert made.status_code == 200, made.text
        # A client that offers only basic gets basic, whatever the size.
        basic = _batch(c, repo, data, alice.token, ["basic"]).json()
        assert basic["transfer"] == "basic"
        assert "chunk_size" not in basic["objects"][0]["actions"]["upload"]["header"]
        batch = _batch(c, repo, data, alice.token, ["basic", "multipart"])
        assert batch.status_code == 200, batch.text
        assert batch.json()["transfer"] == "multipart"
        action = batch.json()["objects"][0]["actions"]["upload"]
        header, complete = action["header"], action["href"]
        assert header["chunk_size"] == str(MiB)
        assert sorted(k for k in header if k.isdigit()) == ["1", "2", "3"]
        assert all(url.startswith(small_parts.url) for url in [complete, header["1"]])

        # Parts: no ticket, a forged one, a number past the last, a wrong length.
        bare = header["1"].split("?")[0]
        assert c.put(bare, content=b"x", headers=CLOSE).status_code == 401
        assert c.put(bare + "?ticket=whs.x.y.z", content=b"x", headers=CLOSE).status_code == 401
        assert (
            c.put(
                header["3"].replace("/part/3", "/part/4"), content=b"x", headers=CLOSE
            ).status_code
            == 400
        )
        assert (
            c.put(
                header["3"].replace("/part/3", "/part/0"), content=b"x", headers=CLOSE
            ).status_code
            == 400
        )
        assert c.put(header["1"], content=data[: MiB - 1], headers=CLOSE).status_code == 400
        assert c.put(header["1"], content=data[: MiB + 1], headers=CLOSE).status_code == 400

        etags = _upload_parts(c, header, data)
        assert len(etags) == 3
        assert etags[0] == f'"{hashlib.sha256(data[:MiB]).hexdigest()}"'
        # The completion: its ticket, the parts in order, all of them, the right object.
        assert (
            c.post(complete.split("?")[0], json=_completion(oid, etags), headers=CLOSE).status_code
            == 401
        )
        refused = [
            _completion(oid, etags[:2]),
            _completion(oid, [etags[1], etags[0], etags[2]]),
            _completion(hashlib.sha256(b"other").hexdigest(), etags),
            {"oid": oid, "parts": "all"},
            _completion(oid, [etags[0], "not-a-hash", etags[2]]),
        ]
        for body in refused:
            answer = c.post(complete, json=body, headers=LFS)
            assert answer.status_code == 400, (body, answer.text)
            assert "error" in answer.json()
        # Not yet assembled: verify says so, and a commit naming the object is refused.
        verify = batch.json()["objects"][0]["actions"]["verify"]["href"]
        auth = {"Authorization": f"Bearer {alice.token}"}
        assert c.post(verify, json={"oid": oid, "size": len(data)}, headers=auth).status_code == 404

        done = c.post(complete, json=_completion(oid, etags), headers=LFS)
        assert done.status_code == 200, done.text
        # The client retries a completion it saw fail: doing it twice is harmless.
        assert c.post(complete, json=_completion(oid, etags), headers=LFS).status_code == 200
        assert c.post(verify, json={"oid": oid, "size": len(data)}, headers=auth).status_code == 200
        # Already stored and proven: the next batch asks for no bytes.
        again = _batch(c, repo, data, alice.token, ["basic", "multipart"]).json()
        assert "actions" not in again["objects"][0]

        # Another user who knows every part's hash cannot assemble the object from them.
        theirs = f"{mallory.name}/{unique()}"
        made = c.post(
            "/api/repos/create",
            json={"name": theirs},
            headers={"Authorization": f"Bearer {mallory.token}"},
        )
        assert made.status_code == 200
        stolen = _batch(c, theirs, data, mallory.token, ["basic", "multipart"]).json()
        steal = stolen["objects"][0]["actions"]["upload"]["href"]
        answer = c.post(steal, json=_completion(oid, etags), headers=LFS)
        assert answer.status_code == 400 and "upload it first" in answer.json()["error"]
        # ... nor use alice's links for a repo of their own or with their own token.
        assert (
            c.put(header["1"].replace(repo, theirs), content=b"x", headers=CLOSE).status_code == 401
        )
        # Anonymous callers get no links at all.
        assert _batch(c, repo, data, None, ["multipart"]).status_code in (401, 404)


def test_parts_that_do_not_make_the_object_store_nothing(small_parts: LiveServer) -> None:
    alice = make_user(small_parts)
    repo = f"{alice.name}/{unique()}"
    data = os.urandom(2 * MiB)
    oid = hashlib.sha256(data).hexdigest()
    auth = {"Authorization": f"Bearer {alice.token}"}
    with httpx.Client(base_url=f"{small_parts.url}/hf", timeout=60) as c:
        assert c.post("/api/repos/create", json={"name": repo}, headers=auth).status_code == 200
        batch = _batch(c, repo, data, alice.token, ["multipart"]).json()["objects"][0]
        header, complete = batch["actions"]["upload"]["header"], batch["actions"]["upload"]["href"]
        # Right sizes, wrong bytes: each part is stored, the object is not.
        tampered = data[:MiB] + bytes(MiB)
        etags = _upload_parts(c, header, tampered)
        answer = c.post(complete, json=_completion(oid, etags), headers=LFS)
        assert answer.status_code == 400, answer.text
        verify = batch["actions"]["verify"]["href"]
        assert c.post(verify, json={"oid": oid, "size": len(data)}, headers=auth).status_code == 404
        commit = c.post(
            f"/api/models/{repo}/commit/main",
            content=(
                '{"key":"header","value":{"summary":"s"}}\n'
                f'{{"key":"lfsFile","value":{{"path":"w.bin","algo":"sha256","oid":"{oid}",'
                f'"size":{len(data)}}}}}\n'
            ),
            headers={**auth, "Content-Type": "application/x-ndjson"},
        )
        assert commit.status_code == 400, commit.text


def test_a_reader_sends_a_pull_request_object_in_parts(small_parts: LiveServer) -> None:
    """The parts and the completion of a reader's object for a pull request (a batch without
    ``ref``) are taken; the object then goes into a pull request, never onto ``main``."""
    alice, reader = make_user(small_parts), make_user(small_parts)
    repo = f"{alice.name}/{unique()}"
    data = os.urandom(2 * MiB + 7)
    oid = hashlib.sha256(data).hexdigest()
    auth = {"Authorization": f"Bearer {reader.token}"}
    with httpx.Client(base_url=f"{small_parts.url}/hf", timeout=60) as c:
        made = c.post(
            "/api/repos/create",
            json={"name": repo, "visibility": "public"},
            headers={"Authorization": f"Bearer {alice.token}"},
        )
        assert made.status_code == 200, made.text
        batch = _batch(c, repo, data, reader.token, ["basic", "multipart"])
        assert batch.status_code == 200, batch.text
        actions = batch.json()["objects"][0]["actions"]
        header, complete = actions["upload"]["header"], actions["upload"]["href"]
        etags = _upload_parts(c, header, data)
        assert c.post(complete, json=_completion(oid, etags), headers=LFS).status_code == 200
        verify = actions["verify"]["href"]
        assert c.post(verify, json={"oid": oid, "size": len(data)}, headers=auth).status_code == 200
        body = (
            '{"key":"header","value":{"summary":"s"}}\n'
            f'{{"key":"lfsFile","value":{{"path":"w.bin","algo":"sha256","oid":"{oid}",'
            f'"size":{len(data)}}}}}\n'
        )
        ndjson = {**auth, "Content-Type": "application/x-ndjson"}
        to_main = c.post(f"/api/models/{repo}/commit/main", content=body, headers=ndjson)
        assert to_main.status_code == 403, to_main.text
        to_pr = c.post(f"/api/models/{repo}/commit/main?create_pr=1", content=body, headers=ndjson)
        assert to_pr.status_code == 200, to_pr.text
        got = c.get(f"/{repo}/resolve/refs%2Fpr%2F1/w.bin")
        assert got.status_code == 200 and got.content == data
        assert c.get(f"/{repo}/resolve/main/w.bin").status_code == 404
