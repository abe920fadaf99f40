"""Likes through the Hub API: a user who can see a repo likes it once and takes it back
(``unlike``), repo info counts them, ``list_repo_likers`` names who, and ``list_liked_repos``
lists a user's likes showing only the repos the caller can see."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_user, unique
from tests.acceptance.hub_client import run_hub
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

LIKES = """
repo, private, erin = {repo!r}, {private!r}, {erin!r}
frank = HfApi(token={frank!r})
out = {{"likes": api.model_info(repo).likes, "private_likes": api.model_info(private).likes}}
out["likers"] = [u.username for u in api.list_repo_likers(repo)]
out["mine"] = sorted(api.list_liked_repos().models)
out["seen_by_frank"] = sorted(frank.list_liked_repos(erin).models)
frank.unlike(repo)
frank.unlike(repo)
out["after_unlike"] = [api.model_info(repo).likes, [u.username for u in api.list_repo_likers(repo)]]
out["private_likers"] = error_of(lambda: list(frank.list_repo_likers(private)))
out["nobody"] = error_of(frank.list_liked_repos, "no-such-user-here")
print(json.dumps(out))
"""


def test_likes(live_server: LiveServer, tmp_path: Path) -> None:
    erin, frank = make_user(live_server), make_user(live_server)
    repo, private = f"{erin.name}/{unique()}", f"{erin.name}/{unique()}"
    with httpx.Client(base_url=f"{live_server.url}/hf", timeout=30) as hub:

        def auth(token: str | None) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"} if token else {}

        for name, private_repo in ((repo, False), (private, True)):
            made = hub.post(
                "/api/repos/create",
                json={"name": name.split("/")[1], "private": private_repo},
                headers=auth(erin.token),
            )
            assert made.status_code == 200, made.text
        liked = hub.post(f"/api/models/{repo}/like", headers=auth(erin.token))
        assert (liked.status_code, liked.json()) == (200, {"likes": 1})
        again = hub.post(f"/api/models/{repo}/like", headers=auth(erin.token))
        assert again.json() == {"likes": 1}
        assert hub.post(f"/api/models/{repo}/like", headers=auth(frank.token)).json() == {
            "likes": 2
        }
        assert hub.post(f"/api/models/{private}/like", headers=auth(erin.token)).status_code == 200
        # Refused: anonymous, read-only, a private repo one cannot see, a missing repo.
        assert hub.post(f"/api/models/{repo}/like").status_code == 401
        assert (
            hub.post(f"/api/models/{repo}/like", headers=auth(frank.read_token)).status_code == 403
        )
        hidden = hub.post(f"/api/models/{private}/like", headers=auth(frank.token))
        assert hidden.headers["X-Error-Code"] == "RepoNotFound"
        missing = hub.post(f"/api/models/{erin.name}/nope/like", headers=auth(frank.token))
        assert missing.headers["X-Error-Code"] == "RepoNotFound"
        bad = hub.get(f"/api/models/{repo}/likers", params={"offset": "-1"})
        assert bad.status_code == 400
    out = run_hub(
        live_server,
        LIKES.format(repo=repo, private=private, erin=erin.name, frank=frank.token),
        home=tmp_path,
        token=erin.token,
    )
    assert out["likes"] == 2 and out["private_likes"] == 1
    assert out["likers"] == [erin.name, frank.name]
    assert out["mine"] == sorted([repo, private])
    assert out["seen_by_frank"] == [repo]
    assert out["after_unlike"] == [1, [erin.name]]
    assert out["private_likers"] == "RepositoryNotFoundError"
    assert out["nobody"] is not None
