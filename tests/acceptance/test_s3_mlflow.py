"""MLflow, unchanged, keeping a run's artifacts in a Weighthouse bucket through its S3
artifact store (``MLFLOW_S3_ENDPOINT_URL``), with a local file tracking store, in a client
environment of its own (see ``client_envs``). MLflow lists artifacts with the v2 paginator and
a delimiter and downloads them with boto3's transfer manager."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.client_envs import MLFLOW
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

SCRIPT = """
import hashlib, json, os, pathlib
import mlflow

mlflow.set_tracking_uri(pathlib.Path("tracking").absolute().as_uri())
experiment = mlflow.create_experiment(
    "weighthouse", artifact_location="s3://" + os.environ["BUCKET"] + "/mlflow"
)
with mlflow.start_run(experiment_id=experiment) as run:
    mlflow.log_param("lr", 0.1)
    mlflow.log_artifact("model.bin", artifact_path="weights")
    mlflow.log_text("trained on nothing", "notes/readme.txt")
client = mlflow.MlflowClient()
run_id = run.info.run_id
back = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path="back")
print(json.dumps({
    "version": mlflow.__version__,
    "run_id": run_id,
    "artifact_uri": run.info.artifact_uri,
    "top": sorted(f.path for f in client.list_artifacts(run_id)),
    "weights": sorted((f.path, f.file_size) for f in client.list_artifacts(run_id, "weights")),
    "model": hashlib.sha256(pathlib.Path(back, "weights", "model.bin").read_bytes()).hexdigest(),
    "notes": pathlib.Path(back, "notes", "readme.txt").read_text(),
}))
"""


@pytest.fixture(scope="module")
def python() -> str:
    return MLFLOW.python()


@pytest.fixture(scope="module")
def user(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


def run_mlflow(
    python: str, server: LiveServer, user: S3User, bucket: str, home: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "BUCKET": bucket,
        "MLFLOW_S3_ENDPOINT_URL": server.s3_url,
        "AWS_ACCESS_KEY_ID": user.key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # MLflow 3 keeps the file tracking store only on request; the test needs no database.
        "MLFLOW_ALLOW_FILE_STORE": "true",
    }
    command = [python, "-W", "ignore", "-c", SCRIPT]
    return subprocess.run(command, env=env, cwd=home, capture_output=True, text=True, timeout=300)


def test_a_run_logs_an_artifact_to_a_bucket_and_reads_it_back(
    python: str, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    s3: Any = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    model = os.urandom(2_000_000)
    (tmp_path / "model.bin").write_bytes(model)
    done = run_mlflow(python, live_server, user, bucket, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["version"] == MLFLOW.requirements[0].split("==")[1]
    assert out["top"] == ["notes", "weights"]
    assert out["weights"] == [["weights/model.bin", len(model)]]
    assert out["model"] == hashlib.sha256(model).hexdigest()
    assert out["notes"] == "trained on nothing"
    # The artifact is an object of the bucket, the same bytes through S3.
    prefix = out["artifact_uri"].removeprefix(f"s3://{bucket}/")
    stored = s3.get_object(Bucket=bucket, Key=f"{prefix}/weights/model.bin")["Body"].read()
    assert stored == model


def test_a_key_without_access_to_the_bucket_cannot_log_to_it(
    python: str, live_server: LiveServer, user: S3User, tmp_path: Path
) -> None:
    bucket = new_bucket(s3_client(live_server, user), user)
    stranger = make_s3_user(live_server)
    (tmp_path / "model.bin").write_bytes(b"x")
    done = run_mlflow(python, live_server, stranger, bucket, tmp_path)
    assert done.returncode != 0
    assert "NoSuchBucket" in done.stderr
    assert s3_client(live_server, user).list_objects_v2(Bucket=bucket)["KeyCount"] == 0
