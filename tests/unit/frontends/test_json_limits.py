"""Every REST route that parses a JSON body reads it through a size-limited route class."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from weighthouse.bootstrap import bootstrap
from weighthouse.config import Settings
from weighthouse.frontends.rest.app import create_rest_app
from weighthouse.frontends.rest.json_bodies import CommitJsonLimitRoute, JsonLimitRoute


def test_every_json_body_is_limited_and_only_commits_get_the_larger_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    app = create_rest_app(bootstrap(settings))
    with_body = [
        (context.path, context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.original_route.body_field is not None
    ]
    assert len(with_body) > 15  # signup, sign-in, users, tokens, orgs, repos, keys, commits…
    unlimited = [path for path, route in with_body if not isinstance(route, JsonLimitRoute)]
    assert unlimited == []
    larger = sorted(path for path, route in with_body if isinstance(route, CommitJsonLimitRoute))
    assert larger == [
        "/api/{kind:repo_kind}/{namespace}/{name}/blobs/check",
        "/api/{kind:repo_kind}/{namespace}/{name}/commit/{revision:ref}",
    ]
    assert settings.max_json_bytes == 2**20 < settings.max_commit_json_bytes
