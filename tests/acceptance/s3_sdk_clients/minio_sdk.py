"""minio-py: the scenario of ``test_s3_sdk_clients.py``, its findings printed as JSON."""

import hashlib
import io
import json
import os
import urllib.parse
from pathlib import Path

import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

endpoint = urllib.parse.urlsplit(os.environ["ENDPOINT"])
bucket = os.environ["BUCKET"]
http = urllib3.PoolManager(ca_certs=os.environ.get("CA") or None, retries=False)


def client(secret: str) -> Minio:
    return Minio(
        endpoint.netloc,
        access_key=os.environ["KEY"],
        secret_key=secret,
        secure=endpoint.scheme == "https",
        region="us-east-1",
        http_client=http,
    )


def error(call) -> str:
    try:
        call()
    except S3Error as caught:
        return f"{caught.code} {caught.response.status}"
    return "none"


def put(name: str, data: bytes, target: str = bucket) -> None:
    mc.put_object(target, name, io.BytesIO(data), len(data))


mc = client(os.environ["SECRET"])
out = {}
small = Path("small.bin").read_bytes()
put("small.bin", small)
out["get"] = hashlib.sha256(mc.get_object(bucket, "small.bin").read()).hexdigest()
out["range"] = mc.get_object(bucket, "small.bin", offset=100, length=20).read().hex()
for name in json.loads(os.environ["TREE"]):
    put(name, name.encode())
listed = list(mc.list_objects(bucket, prefix="tree/"))
out["keys"] = [o.object_name for o in listed if not o.is_dir]
out["prefixes"] = [o.object_name for o in listed if o.is_dir]
out["all"] = [o.object_name for o in mc.list_objects(bucket, prefix="tree/", recursive=True)]
out["all_v1"] = [
    o.object_name for o in mc.list_objects(bucket, "tree/", recursive=True, use_api_v1=True)
]
# Parts of 5 MiB, the smallest S3 takes: the file goes in three.
mc.fput_object(bucket, "big.bin", "big.bin", part_size=5 * 2**20)
out["big"] = hashlib.sha256(mc.get_object(bucket, "big.bin").read()).hexdigest()
out["big_etag"] = mc.stat_object(bucket, "big.bin").etag
mc.copy_object(bucket, "copy d+é.txt", CopySource(bucket, out["keys"][1]))
out["copy"] = mc.get_object(bucket, "copy d+é.txt").read().decode()
mc.remove_object(bucket, "small.bin")
failed = mc.remove_objects(bucket, [DeleteObject(name) for name in out["all"]])
out["delete_errors"] = [e.code for e in failed]
out["after_delete"] = sorted(o.object_name for o in mc.list_objects(bucket, recursive=True))
out["missing"] = error(lambda: mc.get_object(bucket, "small.bin"))
out["wrong_secret"] = error(lambda: client("not-the-secret").get_object(bucket, "big.bin"))
out["private"] = error(lambda: mc.get_object(os.environ["PRIVATE"], "secret.txt"))
out["read_only"] = error(lambda: put("mine.txt", b"x", os.environ["READ_ONLY"]))
print(json.dumps(out))
