"""``hub_download`` and ``snapshot_download``: the client's local cache against a live server,
through a proxy that counts the bytes, so "from the cache" means no bytes came again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.api import unique
from tests.acceptance.counting_proxy import CountingProxy
from tests.acceptance.live import LiveServer
from weighthouse.client import (
    EntryNotFoundError,
    ServerUnreachableError,
    WeighthouseClient,
    hub_download,
    push_files,
    snapshot_download,
    walk_local,
)

pytestmark = pytest.mark.acceptance

MiB = 2**20
WEIGHTS = os.urandom(MiB)
FILES = {
    "config.json": b'{"layers": 2}',
    "weights/model.bin": WEIGHTS,
    "weights/copy.bin": WEIGHTS,  # the same bytes under a second path: one blob
    "logs/run.log": b"step 1\n",
}


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[CountingProxy]:
    with CountingProxy(live_server.port) as counting:
        yield counting


@pytest.fixture
def token(live_server: LiveServer) -> str:
    name = unique("cache")
    with WeighthouseClient(live_server.url, live_server.admin_token) as admin:
        admin.create_user(name)
        secret = admin.create_token("cache-tests", scope="write", user=name).secret
    assert secret
    return secret


@pytest.fixture
def repo(live_server: LiveServer, token: str, tmp_path: Path) -> str:
    with WeighthouseClient(live_server.url, token) as client:
        me = client.whoami().user
        assert me is not None
        name = f"{me.name}/{unique('m')}"
        client.create_repo(name.split("/")[1], namespace=me.name)
        source = tmp_path / "source"
        for path, data in FILES.items():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            (source / path).write_bytes(data)
        push_files(client, name, walk_local(source).files, message="v1", tag="v1.0")
    return name


def test_hub_download_caches_each_blob_once(
    proxy: CountingProxy, token: str, repo: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with WeighthouseClient(proxy.url, token) as client:
        path = hub_download(client, repo, "weights/model.bin", cache_dir=cache)
        assert path.read_bytes() == WEIGHTS and "snapshots" in path.parts
        assert proxy.received > MiB

        proxy.reset()
        again = hub_download(client, repo, "weights/model.bin", cache_dir=cache)
        twin = hub_download(client, repo, "weights/copy.bin", cache_dir=cache)
        assert again == path and twin.read_bytes() == WEIGHTS
        assert proxy.received < MiB // 4, proxy.received  # listings only: no bytes again

        with pytest.raises(EntryNotFoundError, match=r"nope\.bin"):
            hub_download(client, repo, "nope.bin", cache_dir=cache)
        with pytest.raises(EntryNotFoundError, match="folder"):
            hub_download(client, repo, "weights", cache_dir=cache)

        local = hub_download(client, repo, "config.json", local_dir=str(tmp_path / "here"))
        assert local == tmp_path / "here" / "config.json" and not local.is_symlink()
        assert local.read_bytes() == FILES["config.json"]
    blobs = list(cache.rglob("blobs/*"))
    assert len(blobs) == 1 and blobs[0].read_bytes() == WEIGHTS


def test_snapshot_download_with_patterns_and_offline_fallback(
    live_server: LiveServer, token: str, repo: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with CountingProxy(live_server.port) as proxy, WeighthouseClient(proxy.url, token) as client:
        folder = snapshot_download(
            client, repo, revision="v1.0", ignore_patterns=["logs/"], cache_dir=cache
        )
        found = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }
        assert found == {p: d for p, d in FILES.items() if not p.startswith("logs/")}
        only = snapshot_download(client, repo, allow_patterns=["*.json"], cache_dir=cache)
        assert (only / "config.json").read_bytes() == FILES["config.json"]
        url = proxy.url

    # The proxy is gone: the server cannot be reached, and the cache answers for the ref.
    with WeighthouseClient(url, token) as offline:
        again = snapshot_download(offline, repo, revision="v1.0", cache_dir=cache)
        assert again == folder
        config = hub_download(offline, repo, "config.json", revision="v1.0", cache_dir=cache)
        assert config.read_bytes() == FILES["config.json"]
        with pytest.raises(ServerUnreachableError):
            hub_download(offline, repo, "logs/run.log", revision="v1.0", cache_dir=cache)
