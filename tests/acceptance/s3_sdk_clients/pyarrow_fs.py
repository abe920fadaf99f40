"""pyarrow.fs.S3FileSystem (the AWS C++ SDK): the scenario of ``test_s3_sdk_clients.py``, its
findings printed as JSON."""

import hashlib
import json
import os
import urllib.parse
from pathlib import Path

from pyarrow import fs

endpoint = urllib.parse.urlsplit(os.environ["ENDPOINT"])
bucket = os.environ["BUCKET"]


def filesystem(secret: str) -> fs.S3FileSystem:
    return fs.S3FileSystem(
        access_key=os.environ["KEY"],
        secret_key=secret,
        region="us-east-1",
        scheme=endpoint.scheme,
        endpoint_override=endpoint.netloc,
        tls_ca_file_path=os.environ.get("CA") or None,
        retry_strategy=fs.AwsStandardS3RetryStrategy(max_attempts=1),
    )


def error(call) -> str:
    try:
        call()
    except OSError as caught:
        return f"{type(caught).__name__}: {caught}"
    return "none"


def read(path: str, s3: fs.S3FileSystem | None = None) -> bytes:
    with (s3 or s3fs).open_input_stream(f"{bucket}/{path}") as stream:
        return stream.read()


def write(path: str, data: bytes) -> None:
    with s3fs.open_output_stream(path) as stream:
        stream.write(data)


def files(selector: fs.FileSelector) -> list[str]:
    found = s3fs.get_file_info(selector)
    return sorted(i.path.removeprefix(bucket + "/") for i in found if i.type == fs.FileType.File)


s3fs = filesystem(os.environ["SECRET"])
out = {}
write(f"{bucket}/small.bin", Path("small.bin").read_bytes())
out["get"] = hashlib.sha256(read("small.bin")).hexdigest()
with s3fs.open_input_file(f"{bucket}/small.bin") as file:
    out["range"] = file.read_at(20, 100).hex()
for name in json.loads(os.environ["TREE"]):
    write(f"{bucket}/{name}", name.encode())
out["keys"] = files(fs.FileSelector(f"{bucket}/tree"))
listed = s3fs.get_file_info(fs.FileSelector(f"{bucket}/tree"))
out["prefixes"] = [
    i.path.removeprefix(bucket + "/") + "/" for i in listed if i.type == fs.FileType.Directory
]
out["all"] = files(fs.FileSelector(f"{bucket}/tree", recursive=True))
# Arrow writes a stream of more than one part (10 MiB) as a multipart upload.
fs.copy_files(
    "big.bin",
    f"{bucket}/big.bin",
    source_filesystem=fs.LocalFileSystem(),
    destination_filesystem=s3fs,
)
out["big"] = hashlib.sha256(read("big.bin")).hexdigest()
s3fs.copy_file(f"{bucket}/{out['keys'][1]}", f"{bucket}/copy d+é.txt")
out["copy"] = read("copy d+é.txt").decode()
s3fs.move(f"{bucket}/copy d+é.txt", f"{bucket}/renamed.txt")
out["renamed"] = read("renamed.txt").decode()
s3fs.delete_file(f"{bucket}/small.bin")
s3fs.delete_dir_contents(f"{bucket}/tree")
out["after_delete"] = files(fs.FileSelector(bucket, recursive=True))
out["missing"] = error(lambda: read("small.bin"))
out["wrong_secret"] = error(lambda: read("big.bin", filesystem("not-the-secret")))
out["private"] = error(lambda: s3fs.open_input_stream(os.environ["PRIVATE"] + "/secret.txt"))
out["read_only"] = error(lambda: write(os.environ["READ_ONLY"] + "/mine.txt", b"x"))
print(json.dumps(out))
