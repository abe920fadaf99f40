"""``datasets.load_dataset`` reads a small CSV dataset repo pushed with huggingface_hub. The
library lives in a cached environment of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.api import make_user, unique
from tests.acceptance.client_envs import DATASETS
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def test_load_dataset_reads_a_csv_repo(live_server: LiveServer, tmp_path: Path) -> None:
    python = DATASETS.python()
    user = make_user(live_server)
    repo = f"{user.name}/{unique()}"
    out = run_hub(
        live_server,
        f"""
        import datasets
        repo = {repo!r}
        api.create_repo(repo, repo_type="dataset")
        api.upload_file(path_or_fileobj=b"name,score\\nada,3\\nbob,5\\n",
                        path_in_repo="data/train.csv", repo_id=repo, repo_type="dataset")
        rows = datasets.load_dataset(repo, split="train")
        print(json.dumps([rows.column_names, list(rows["name"]), list(rows["score"])]))
        """,
        home=tmp_path,
        token=user.token,
        python=python,
    )
    assert out == [["name", "score"], ["ada", "bob"], [3, 5]]
