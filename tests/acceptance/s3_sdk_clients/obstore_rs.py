"""obstore (Rust's object_store, which polars uses too): the scenario of
``test_s3_sdk_clients.py``, its findings printed as JSON."""

import datetime
import hashlib
import json
import os
from pathlib import Path

import obstore
from obstore.store import S3Store

bucket = os.environ["BUCKET"]
ca = os.environ.get("CA")


def store(name: str = bucket, secret: str = os.environ["SECRET"]) -> S3Store:
    return S3Store(
        name,
        endpoint=os.environ["ENDPOINT"],
        access_key_id=os.environ["KEY"],
        secret_access_key=secret,
        region="us-east-1",
        client_options={
            "allow_http": True,
            **({"root_certificate": Path(ca).read_text()} if ca else {}),
        },
        retry_config={"max_retries": 0, "retry_timeout": datetime.timedelta(seconds=10)},
    )


def error(call) -> str:
    try:
        call()
    except Exception as caught:
        return f"{type(caught).__name__}: {str(caught)[:400]}"
    return "none"


def paths(prefix: str | None = None) -> list[str]:
    return sorted(o["path"] for page in obstore.list(s3, prefix) for o in page)


s3 = store()
out = {}
obstore.put(s3, "small.bin", Path("small.bin"))
out["get"] = hashlib.sha256(bytes(obstore.get(s3, "small.bin").bytes())).hexdigest()
out["range"] = bytes(obstore.get_range(s3, "small.bin", start=100, length=20)).hex()
for name in json.loads(os.environ["TREE"]):
    obstore.put(s3, name, name.encode())
listed = obstore.list_with_delimiter(s3, "tree")
out["keys"] = [o["path"] for o in listed["objects"]]
out["prefixes"] = [p + "/" for p in listed["common_prefixes"]]
out["all"] = paths("tree")
# Parts of obstore's default 5 MiB: the file goes in three.
obstore.put(s3, "big.bin", Path("big.bin"), use_multipart=True)
out["big"] = hashlib.sha256(bytes(obstore.get(s3, "big.bin").bytes())).hexdigest()
out["big_etag"] = obstore.head(s3, "big.bin")["e_tag"]
obstore.copy(s3, out["keys"][1], "copy d+é.txt")
out["copy"] = bytes(obstore.get(s3, "copy d+é.txt").bytes()).decode()
obstore.rename(s3, "copy d+é.txt", "renamed.txt")
out["renamed"] = bytes(obstore.get(s3, "renamed.txt").bytes()).decode()
# A create-only put is S3's If-None-Match: *.
out["create_again"] = error(lambda: obstore.put(s3, "renamed.txt", b"x", mode="create"))
obstore.delete(s3, "small.bin")
obstore.delete(s3, out["all"])  # one DeleteObjects request
out["after_delete"] = paths()
out["missing"] = error(lambda: obstore.get(s3, "small.bin"))
out["wrong_secret"] = error(lambda: obstore.get(store(secret="not-the-secret"), "big.bin"))
out["private"] = error(lambda: obstore.get(store(os.environ["PRIVATE"]), "secret.txt"))
out["read_only"] = error(lambda: obstore.put(store(os.environ["READ_ONLY"]), "mine.txt", b"x"))
print(json.dumps(out))
