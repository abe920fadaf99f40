"""The web application factory: page routes under :data:`~.urls.MOUNT`, security headers on
every response. The composition root supplies the template renderer and mounts the static
assets (front-ends read no files)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from weighthouse.bootstrap import Container
from weighthouse.frontends.web import (
    accounts,
    admin,
    discussions,
    explore,
    history,
    jobs,
    orgs,
    repo_pages,
    repo_settings,
    settings,
    uploads,
)
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
        route("/settings", settings.settings),
        route("/settings/tokens", settings.create_token, ("POST",)),
        route("/settings/tokens/{id}/revoke", settings.revoke_token, ("POST",)),
        route("/settings/access-keys", settings.create_key, ("POST",)),
        route("/settings/access-keys/{id}/revoke", settings.revoke_key, ("POST",)),
        route("/admin/users", admin.users),
        route("/admin/users/{name}", admin.set_disabled, ("POST",)),
        route("/admin/audit", admin.audit),
        route("/orgs", orgs.org_list),
        route("/orgs", orgs.create, ("POST",)),
        route("/orgs/{name}", orgs.org_page),
        route("/orgs/{name}/members", orgs.set_member, ("POST",)),
        route("/orgs/{name}/members/{user}/remove", orgs.remove_member, ("POST",)),
        route("/jobs", jobs.jobs_list),
        route("/jobs/{id}", jobs.job_page),
        route("/jobs/{id}/status", jobs.status),
        route("/jobs/{id}/cancel", jobs.cancel, ("POST",)),
        route(_REPO, repo_pages.overview),
        route(_REPO + "/tree", repo_pages.tree),
        route(_REPO + "/blob", repo_pages.blob),
        route(_REPO + "/raw", repo_pages.raw),
        route(_REPO + "/object", repo_pages.bucket_object),
        route(_REPO + "/delete-object", repo_pages.delete_object, ("POST",)),
        route(_REPO + "/commits", history.commits),
        route(_REPO + "/commit/{commit}", history.commit),
        route(_REPO + "/refs", history.refs),
        route(_REPO + "/discussions", discussions.discussion_list),
        route(_REPO + "/discussions", discussions.open_discussion, ("POST",)),
        route(_REPO + "/discussions/new", discussions.new_form),
        route(_REPO + "/discussions/{num}", discussions.discussion_page),
        route(_REPO + "/discussions/{num}/comment", discussions.comment, ("POST",)),
        route(_REPO + "/discussions/{num}/status", discussions.set_status, ("POST",)),
        route(_REPO + "/discussions/{num}/merge", discussions.merge, ("POST",)),
        route(_REPO + "/upload", uploads.upload_form),
        route(_REPO + "/run", jobs.run, ("POST",)),
        route(_REPO + "/settings", repo_settings.repo_settings),
        route(_REPO + "/settings", repo_settings.update, ("POST",)),
        route(_REPO + "/collaborators", repo_settings.add_collaborator, ("POST",)),
        route(_REPO + "/collaborators/{user}/remove", repo_settings.remove_collaborator, ("POST",)),
        route(_REPO + "/delete", repo_settings.delete, ("POST",)),
    ]


def create_web_app(container: Container, render: Render) -> Starlette:
    """The pages, to be mounted at :data:`~.urls.MOUNT`. ``render(name, context)`` renders a
    template with autoescaping on."""
    app = Starlette(routes=routes())
    app.state.container = container
    app.state.render = render
    app.add_middleware(PageHeaders)
    return app
