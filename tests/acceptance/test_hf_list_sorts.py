"""``list_models`` and ``list_datasets`` in each order the real client sends (``sort=
"last_modified"``, ``"lastModified"``, ``"created_at"``, ``"likes"``, ``"downloads"``,
``"trending_score"``), by the latest ``huggingface_hub`` and by the 0.36 line (which also sends
``direction=-1``), and page by page through ``Link: rel="next"``; an order the server does not
know is a clean 400 in the Hub's error format."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_user
from tests.acceptance.client_envs import HUB_0_36
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


MAKE = """
author = {author!r}
for name in ("a", "b", "c"):  # created in this order
    api.create_repo(f"{{author}}/{{name}}", private=False)
api.create_repo(f"{{author}}/d", repo_type="dataset", private=False)
api.create_repo(f"{{author}}/e", repo_type="dataset", private=False)
api.upload_file(path_or_fileobj=b"b", path_in_repo="x.txt", repo_id=f"{{author}}/b")
api.upload_file(path_or_fileobj=b"a", path_in_repo="x.txt", repo_id=f"{{author}}/a")
# The latest commit of all goes to another branch of c.
api.create_branch(f"{{author}}/c", branch="dev")
api.upload_file(path_or_fileobj=b"c", path_in_repo="x.txt", repo_id=f"{{author}}/c",
                revision="dev")
print(json.dumps(None))
"""

LIST = """
author = {author!r}
from huggingface_hub.utils._pagination import paginate
def ids(listing):
    return [r.id.split("/")[1] for r in listing]
def paged(kind, **params):
    # The client's own paginator, one repo a page: every page follows the cursor of the last.
    found = paginate(f"{{api.endpoint}}/api/{{kind}}", params={{"author": author, "limit": 1,
                     **params}}, headers=api._build_hf_headers())
    return [r["id"].split("/")[1] for r in found]
# The 0.x line takes a direction, and -1 is what its users pass; the latest has none.
extra = {{"direction": -1}} if hh.__version__.startswith("0.") else {{}}
out = {{}}
for sort in ("last_modified", "lastModified", "created_at", "createdAt", "likes", "downloads",
             "trending_score"):
    out[sort] = ids(api.list_models(author=author, sort=sort, **extra))
for sort in ("lastModified", "createdAt", "likes", "downloads", "trendingScore"):
    out["paged-" + sort] = paged("models", sort=sort, direction=-1)
out["datasets-created"] = ids(api.list_datasets(author=author, sort="created_at", **extra))
out["datasets-paged"] = paged("datasets", sort="createdAt", direction=-1)
out["like-counts"] = [m.likes for m in api.list_models(author=author, sort="likes", **extra)]
out["unknown"] = error_of(lambda: list(api.list_models(author=author, sort="stars")))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def author(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A user's name and token, owning models a, b, c (made in that order) and datasets d, e."""
    dora, liker = make_user(live_server), make_user(live_server)
    home = tmp_path_factory.mktemp("make")
    run_hub(live_server, MAKE.format(author=dora.name), home=home, token=dora.token)
    # The Hub's pages like a repo with this call; the client only unlikes.
    for who, names in ((dora, ("b",)), (liker, ("a", "b"))):
        with live_server.client(who.token) as client:
            for name in names:
                client.post(f"/hf/api/models/{dora.name}/{name}/like").raise_for_status()
    return dora.name, dora.token


@pytest.mark.parametrize("client", ["latest", "0.36"])
def test_each_sort_the_client_sends_lists_in_its_order_page_by_page(
    live_server: LiveServer, author: tuple[str, str], client: str, tmp_path: Path
) -> None:
    name, token = author
    python = HUB_0_36.python() if client == "0.36" else sys.executable
    out = run_hub(live_server, LIST.format(author=name), home=tmp_path, token=token,
                  python=python)  # fmt: skip
    # c's last commit (to its dev branch) is the latest, then a's, then b's.
    latest, newest, liked = ["c", "a", "b"], ["c", "b", "a"], ["b", "a", "c"]
    for sort in ("last_modified", "lastModified"):
        assert out[sort] == out["paged-lastModified"] == latest, sort
    for sort in ("created_at", "createdAt"):
        assert out[sort] == out["paged-createdAt"] == newest, sort
    assert out["likes"] == out["paged-likes"] == liked
    assert out["like-counts"] == [2, 1, 0]
    # Not counted: every repo has 0 downloads and trends alike, so they go by name.
    for sort in ("downloads", "trending_score"):
        assert out[sort] == ["a", "b", "c"], sort
    assert out["paged-downloads"] == out["paged-trendingScore"] == ["a", "b", "c"]
    assert out["datasets-created"] == out["datasets-paged"] == ["e", "d"]
    assert out["unknown"] == "BadRequestError"


@pytest.mark.parametrize(
    "query",
    [
        "sort=stars",
        "sort=lastModified&direction=1",
        "sort=likes&direction=up",
        "sort=id&direction=-1",
    ],
)
def test_an_order_the_server_cannot_give_is_a_clean_400(
    live_server: LiveServer, query: str
) -> None:
    for kind in ("models", "datasets"):
        response = httpx.get(f"{live_server.url}/hf/api/{kind}?{query}", timeout=30)
        assert response.status_code == 400, response.text
        assert response.headers["x-error-message"] == response.json()["error"]
