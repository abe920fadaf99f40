"""The bucket commands end to end: ``bucket``, ``cp``, ``sync``, ``rm`` and ``stat`` as real
``python -m weighthouse`` processes against a live server, their ``--json`` parsed here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from tests.acceptance.test_cli import Account, Cli, account, assert_one_line_error, cli, logged_in

pytestmark = pytest.mark.acceptance

__all__ = ["account", "cli", "logged_in"]  # fixtures shared with test_cli

KEYS = 1000


def listing(cli: Cli, location: str) -> dict[str, dict]:
    """Key -> object, from ``bucket ls -r --json``."""
    out = json.loads(cli.ok("bucket", "ls", location, "-r", "--json").stdout)
    assert out["prefixes"] == []
    return {o["key"]: o for o in out["objects"]}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_bucket(cli: Cli, account: Account) -> str:
    bucket = f"{account.name}/{unique('b')}"
    cli.ok("bucket", "create", bucket)
    return bucket


def test_buckets_are_created_private_listed_and_removed(
    logged_in: Cli, account: Account, live_server: LiveServer
) -> None:
    private = f"{account.name}/{unique('scratch')}"
    public = f"{account.name}/{unique('open')}"
    assert "Created private bucket" in logged_in.ok("bucket", "create", private).stdout
    assert "Created public bucket" in logged_in.ok("bucket", "create", public, "--public").stdout
    (logged_in.cwd / "notes.txt").write_bytes(b"scratch notes")
    for bucket in (private, public):
        logged_in.ok("cp", "notes.txt", f"wh://{bucket}/notes.txt")
    with httpx.Client(base_url=live_server.url) as anonymous:
        assert anonymous.get(f"/api/buckets/{private}/objects/notes.txt").status_code == 404
        assert anonymous.get(f"/api/buckets/{public}/objects/notes.txt").content == b"scratch notes"

    mine = json.loads(logged_in.ok("bucket", "ls", account.name, "--json").stdout)
    assert {(b["bucket"], b["private"]) for b in mine} == {(private, True), (public, False)}
    long = logged_in.ok("bucket", "ls", account.name, "-l").stdout.splitlines()
    assert long[0].split() == ["BUCKET", "VISIBILITY", "CREATED", "DESCRIPTION"]
    assert any(line.startswith(f"wh://{private} ") and "private" in line for line in long[1:])

    refused = logged_in.run("bucket", "rm", private, "--yes")
    assert_one_line_error(refused, "bucket_not_empty", "--force")
    logged_in.ok("bucket", "rm", private, "--yes", "--force")
    logged_in.ok("rm", f"wh://{public}/notes.txt")
    logged_in.ok("bucket", "rm", public, "--yes")
    assert json.loads(logged_in.ok("bucket", "ls", account.name, "--json").stdout) == []


def test_single_objects_copy_stat_and_remove(
    logged_in: Cli, account: Account, tmp_path: Path
) -> None:
    bucket = make_bucket(logged_in, account)
    other = make_bucket(logged_in, account)
    data = b"weights " * 1000
    (logged_in.cwd / "model.bin").write_bytes(data)
    logged_in.ok("cp", "model.bin", f"{bucket}/models/")  # a prefix keeps the file's name
    stat = json.loads(logged_in.ok("stat", f"wh://{bucket}/models/model.bin", "--json").stdout)
    assert (stat["key"], stat["size"], stat["sha256"]) == ("models/model.bin", len(data), sha(data))
    assert stat["etag"] == hashlib.md5(data).hexdigest()
    human = logged_in.ok("stat", f"wh://{bucket}/models/model.bin").stdout
    assert "7.8 KiB (8000 bytes)" in human and sha(data) in human

    logged_in.ok("cp", f"wh://{bucket}/models/model.bin", f"wh://{other}/copy.bin")
    assert listing(logged_in, f"wh://{other}")["copy.bin"]["sha256"] == sha(data)
    down = tmp_path / "down"
    down.mkdir()
    logged_in.ok("cp", f"wh://{other}/copy.bin", str(down))
    assert (down / "copy.bin").read_bytes() == data
    logged_in.ok("cp", f"wh://{other}/copy.bin", str(down / "renamed.bin"))
    assert (down / "renamed.bin").read_bytes() == data

    assert_one_line_error(logged_in.run("stat", f"wh://{other}/absent"), "entry_not_found")
    prefix = logged_in.run("rm", f"wh://{bucket}/models/")
    assert prefix.returncode == 2 and "add -r" in prefix.stderr
    logged_in.ok("rm", f"wh://{other}/copy.bin")
    assert listing(logged_in, f"wh://{other}") == {}
    assert_one_line_error(logged_in.run("rm", f"wh://{other}/copy.bin"), "entry_not_found")
    both_local = logged_in.run("cp", "model.bin", "./elsewhere.bin")
    assert both_local.returncode == 2 and "bucket location" in both_local.stderr


def test_a_key_that_would_leave_the_folder_is_never_written(
    logged_in: Cli, account: Account, live_server: LiveServer, tmp_path: Path
) -> None:
    bucket = make_bucket(logged_in, account)
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {account.token}"}
    ) as client:
        for key in ("fine.txt", "../escaped.txt", "a//b.txt"):
            quoted = key.replace(".", "%2E") if key.startswith("..") else key
            put = client.put(f"/api/buckets/{bucket}/objects/{quoted}", content=b"x")
            assert put.status_code == 201, put.text
    dest = tmp_path / "inside" / "dest"
    result = logged_in.run("cp", "-r", f"wh://{bucket}", str(dest))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "failed: ../escaped.txt" in result.stderr and "failed: a//b.txt" in result.stderr
    assert (dest / "fine.txt").read_bytes() == b"x"
    assert not (tmp_path / "inside" / "escaped.txt").exists()


def test_cp_sync_and_rm_on_a_thousand_keys(
    logged_in: Cli, account: Account, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    files = {f"part-{i // 100}/shard-{i:04}.txt": f"object {i}\n".encode() for i in range(KEYS)}
    for name, data in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    bucket = make_bucket(logged_in, account)
    mirror = make_bucket(logged_in, account)

    copied = logged_in.ok("cp", "-r", str(source), f"wh://{bucket}/data", "--progress", "-j", "8")
    assert f"{KEYS} copied" in copied.stdout
    assert "copying" in copied.stderr and "B/s" in copied.stderr  # a byte bar, in bytes
    stored = listing(logged_in, f"wh://{bucket}/data/")
    assert {k.removeprefix("data/"): o["sha256"] for k, o in stored.items()} == {
        name: sha(data) for name, data in files.items()
    }
    top = json.loads(logged_in.ok("bucket", "ls", f"wh://{bucket}/data/", "--json").stdout)
    assert top["objects"] == [] and top["prefixes"] == [f"data/part-{i}/" for i in range(10)]

    # Change three, delete two, add one: sync sends four and deletes two.
    for i in (1, 2, 3):
        (source / f"part-0/shard-{i:04}.txt").write_bytes(b"changed, same size?\n")
    (source / "part-9/shard-0999.txt").write_bytes(b"object ABC\n")  # same size, new bytes
    for gone in ("part-5/shard-0500.txt", "part-5/shard-0501.txt"):
        (source / gone).unlink()
    (source / "new.txt").write_bytes(b"new")
    planned = json.loads(
        logged_in.ok(
            "sync", str(source), f"{bucket}/data", "--delete", "--dry-run", "--json"
        ).stdout
    )
    changed = ["new.txt", *(f"part-0/shard-{i:04}.txt" for i in (1, 2, 3)), "part-9/shard-0999.txt"]
    assert sorted(planned["copy"]) == sorted(changed)
    assert sorted(planned["delete"]) == ["part-5/shard-0500.txt", "part-5/shard-0501.txt"]
    synced = json.loads(
        logged_in.ok("sync", str(source), f"{bucket}/data", "--delete", "--json").stdout
    )
    assert sorted(synced["copied"]) == sorted(changed) and len(synced["deleted"]) == 2
    assert len(synced["unchanged"]) == KEYS - 2 - 4 and synced["failed"] == []
    again = json.loads(logged_in.ok("sync", str(source), f"{bucket}/data", "--json").stdout)
    assert again["copied"] == [] and again["deleted"] == []
    stored = listing(logged_in, f"wh://{bucket}/data/")
    assert len(stored) == KEYS - 1
    assert stored["data/part-9/shard-0999.txt"]["sha256"] == sha(b"object ABC\n")

    # Bucket to bucket, then back to a local folder: every byte arrives.
    assert (
        f"{KEYS - 1} copied"
        in logged_in.ok("cp", "-r", f"wh://{bucket}/data/", f"wh://{mirror}/copy/").stdout
    )
    mirrored = listing(logged_in, f"wh://{mirror}/copy/")
    assert {k.removeprefix("copy/"): o["sha256"] for k, o in mirrored.items()} == {
        k.removeprefix("data/"): o["sha256"] for k, o in stored.items()
    }
    back = tmp_path / "back"
    logged_in.ok("sync", f"wh://{mirror}/copy", str(back))
    assert sorted(p.relative_to(back).as_posix() for p in back.rglob("*") if p.is_file()) == (
        sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
    )
    assert (back / "part-0/shard-0001.txt").read_bytes() == b"changed, same size?\n"

    removed = logged_in.ok("rm", "-r", f"wh://{bucket}/data", "--progress")
    assert f"{KEYS - 1} deleted" in removed.stdout and "obj" in removed.stderr
    assert listing(logged_in, f"wh://{bucket}") == {}
    assert len(listing(logged_in, f"wh://{mirror}")) == KEYS - 1


def test_trailing_slashes_and_folders_that_do_not_exist_yet(
    logged_in: Cli, account: Account
) -> None:
    bucket = make_bucket(logged_in, account)
    (logged_in.cwd / "a.bin").write_bytes(b"first")
    logged_in.ok("cp", "a.bin", f"wh://{bucket}/dir/k.bin")
    work = logged_in.cwd

    # A folder written with '/' is made, and the object lands in it under its own name.
    logged_in.ok("cp", f"wh://{bucket}/dir/k.bin", "./newdir/")
    assert (work / "newdir" / "k.bin").read_bytes() == b"first"
    logged_in.ok("cp", f"wh://{bucket}/dir/k.bin", "./deep/er/")
    assert (work / "deep" / "er" / "k.bin").read_bytes() == b"first"
    # Without the slash the name is the file's, and missing parents are made.
    logged_in.ok("cp", f"wh://{bucket}/dir/k.bin", "./made/renamed.bin")
    assert (work / "made" / "renamed.bin").read_bytes() == b"first"
    # An existing file is replaced; an existing folder receives the object.
    logged_in.ok("cp", f"wh://{bucket}/dir/k.bin", "./a.bin")
    assert (work / "a.bin").read_bytes() == b"first"
    logged_in.ok("cp", f"wh://{bucket}/dir/k.bin", "./newdir")
    assert sorted(p.name for p in (work / "newdir").iterdir()) == ["k.bin"]

    # A file is never taken for a folder, and nothing is written below one.
    for target in ("./a.bin/", "./a.bin/sub/", "./a.bin/x.bin"):
        refused = logged_in.run("cp", f"wh://{bucket}/dir/k.bin", target)
        assert refused.returncode == 2 and "a.bin is a file" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert (work / "a.bin").read_bytes() == b"first"
    for args in (("cp", "-r", f"wh://{bucket}/dir/", "./a.bin/sub"), ("sync", bucket, "./a.bin/s")):
        refused = logged_in.run(*args)
        assert refused.returncode == 2 and "a.bin is a file" in refused.stderr, refused.stderr
    missing = logged_in.run("cp", "./a.bin/", f"wh://{bucket}/x")
    assert missing.returncode == 2 and "no such file" in missing.stderr

    # Recursive copies and syncs into a folder that does not exist yet make it.
    logged_in.ok("cp", "-r", f"wh://{bucket}/dir/", "./tree/")
    assert (work / "tree" / "k.bin").read_bytes() == b"first"
    logged_in.ok("sync", f"wh://{bucket}/dir/", "./mirror/")
    assert (work / "mirror" / "k.bin").read_bytes() == b"first"
    # Uploading to a prefix keeps the file's name; to a key, takes the key.
    logged_in.ok("cp", "./newdir/k.bin", f"wh://{bucket}/up/")
    logged_in.ok("cp", "-r", "./tree/", f"wh://{bucket}/up2/")
    assert {"dir/k.bin", "up/k.bin", "up2/k.bin"} == set(listing(logged_in, f"wh://{bucket}"))
