"""The web application factory: page routes under :data:`~.urls.MOUNT`, security headers on
every response. The composition root supplies the template renderer and mounts the static
assets (front-ends read no files)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from weighthouse.bootstrap import Container
from weighthouse.frontends.web import accounts, explore, history, repo_pages, uploads
from weighthouse.frontends.web.headers import PageHeaders
from weighthouse.frontends.web.pages import Render, route

_REPO = "/{kind}/{namespace}/{name}"


def routes() -> list[BaseRoute]:
    return [
        route("/", explore.explore),
        route("/signin", accounts.signin_form),
        route("/signin", accounts.signin, ("POST",)),
        route("/signup", accounts.signup_form),
        route("/signup", accounts.signup, ("POST",)),
        route("/signout", accounts.signout, ("POST",)),
        route("/new", explore.new_repo_form),
        route("/new", explore.new_repo, ("POST",)),
        route(_REPO, repo_pages.overview),
        route(_REPO + "/tree", repo_pages.tree),
        route(_REPO + "/blob", repo_pages.blob),
        route(_REPO + "/raw", repo_pages.raw),
        route(_REPO + "/object", repo_pages.bucket_object),
        route(_REPO + "/commits", history.commits),
        route(_REPO + "/commit/{commit}", history.commit),
        route(_REPO + "/refs", history.refs),
        route(_REPO + "/upload", uploads.upload_form),
    ]


def create_web_app(container: Container, render: Render) -> Starlette:
    """The pages, to be mounted at :data:`~.urls.MOUNT`. ``render(name, context)`` renders a
    template with autoescaping on."""
    app = Starlette(routes=routes())
    app.state.container = container
    app.state.render = render
    app.add_middleware(PageHeaders)
    return app
