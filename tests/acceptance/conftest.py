from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.certificates import self_signed
from tests.acceptance.live import LiveServer

# The S3 test files' shared fixtures, found by pytest here.
from tests.acceptance.s3 import alice, anonymous, bob, bob_user, bucket, s3  # noqa: F401


def worker_counts(config: pytest.Config) -> list[int]:
    """The process counts ``--server-workers`` names, in order, each at least 1."""
    text = str(config.getoption("--server-workers"))
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise pytest.UsageError(
            f"--server-workers takes counts such as 1 or 1,2: {text!r}"
        ) from None
    if any(count < 1 for count in counts) or len(set(counts)) != len(counts):
        raise pytest.UsageError(f"--server-workers: distinct counts, each at least 1: {text!r}")
    return counts


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The first count is every test's; the others are only for the tests marked to run with
    # them, so one run covers each marked test once per count it names. Module scope keeps a
    # module's server to one start per count; the session's shared servers are kept by count
    # in `live_servers`.
    counts = worker_counts(metafunc.config)
    if "server_workers" not in metafunc.fixturenames:
        return
    # The closest mark decides: a test's own overrides its module's.
    marker = metafunc.definition.get_closest_marker("server_workers")
    chosen = counts[:1] if marker is None else [n for n in counts if n in marker.args]
    if not chosen and marker is not None:
        # Asked only for counts this test does not run with (say --server-workers 1 for a
        # test marked server_workers(2)): say so rather than run it where it was not meant to.
        reason = f"runs with servers of {', '.join(map(str, marker.args))} process(es) only"
        skipped = pytest.param(counts[0], marks=pytest.mark.skip(reason=reason))
        metafunc.parametrize(
            "server_workers", [skipped], indirect=True, scope="module", ids=[f"workers{counts[0]}"]
        )
        return
    if len(counts) < 2:
        return
    # With several counts asked for, every id names its count, even where only one runs.
    metafunc.parametrize(
        "server_workers",
        chosen,
        indirect=True,
        scope="module",
        ids=[f"workers{count}" for count in chosen],
    )


@pytest.fixture(scope="module")
def server_workers(request: pytest.FixtureRequest) -> int:
    """How many processes each live server runs: the first count of ``--server-workers``, or
    one of the counts its test is marked for."""
    count: int = getattr(request, "param", worker_counts(request.config)[0])
    return count


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, LiveServer]]:
    """The session's shared servers by process count, each started when first asked for."""
    servers: dict[int, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
    live_servers: dict[int, LiveServer],
    server_workers: int,
) -> LiveServer:
    """One server per process count for the session; tests create their own repos with unique
    names."""
    if server_workers not in live_servers:
        data_dir = tmp_path_factory.mktemp(f"live-{server_workers}") / "data"
        live_servers[server_workers] = LiveServer(data_dir=data_dir, workers=server_workers).start()
    return live_servers[server_workers]


@pytest.fixture(scope="session")
def tls_servers() -> Iterator[dict[int, LiveServer]]:
    """The session's servers with an https S3 port, by process count, each started when first
    asked for."""
    servers: dict[int, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory,
    tls_servers: dict[int, LiveServer],
    server_workers: int,
) -> LiveServer:
    """One server per process count for the session whose S3 port speaks https, with a
    self-signed certificate (``cert``) that rustls takes too (see ``self_signed``)."""
    if server_workers not in tls_servers:
        folder = tmp_path_factory.mktemp(f"tls-{server_workers}")
        cert, key = self_signed(folder, ca=False)
        tls_servers[server_workers] = LiveServer(
            data_dir=folder / "data",
            workers=server_workers,
            extra_env={"WEIGHTHOUSE_S3__TLS_CERT": str(cert), "WEIGHTHOUSE_S3__TLS_KEY": str(key)},
            cert=cert,
        ).start()
    return tls_servers[server_workers]


@pytest.fixture
def fresh_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    """A server of the test's own, for tests that kill or restart it."""
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    yield server
    server.stop()
