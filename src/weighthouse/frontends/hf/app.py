"""The Hub front-end's ASGI application: a raw-path router, the caller, and errors in the
Hub's shape. Mounted at :data:`~weighthouse.frontends.hf.wire.MOUNT` on the main app."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from weighthouse.bootstrap import Container
from weighthouse.domain.errors import DomainError
from weighthouse.frontends.hf import (
    auth_check,
    commits,
    discussions,
    gating,
    identity,
    info,
    lfs,
    lfs_files,
    lfs_parts,
    likes,
    listing,
    repos,
    resolve,
    user_repos,
)
from weighthouse.frontends.hf.calls import Call
from weighthouse.frontends.hf.errors import domain_error_response, error_response
from weighthouse.frontends.hf.routing import RawRouter
from weighthouse.frontends.hf.xet import cas

log = logging.getLogger("weighthouse.hf")

DRAIN_LIMIT = 1024 * 1024
"""An error answered before the body was read: up to this much of the body is read and
dropped, so the connection stays open for the client's next request. A longer body is left
unread and the answer says ``Connection: close`` (uvicorn closes such a connection anyway,
and a client that reused it would fail)."""

REPO = "{ns}/{name}"
API_REPO = "api/{kind}/" + REPO


def routes() -> RawRouter:
    router = RawRouter()
    router.add("GET", "api/whoami-v2", identity.whoami)
    router.add("GET", "api/agent-harnesses", identity.agent_harnesses)
    router.add("POST", "api/validate-yaml", identity.validate_yaml)
    router.add("POST", "api/repos/create", repos.create_repo)
    router.add("DELETE", "api/repos/delete", repos.delete_repo)
    router.add("POST", "api/repos/move", repos.move_repo)
    router.add("GET", "api/models", listing.models)
    router.add("GET", "api/datasets", listing.datasets)
    router.add("GET", "api/spaces", listing.spaces)
    router.add("GET", "api/users/{user}/likes", likes.liked_repos)
    router.add("GET", "api/settings/repositories", user_repos.mine)
    router.add("GET", "api/organizations/{org}/settings/repositories", user_repos.organization)
    router.add("PUT", "api/lfs/{kind}/" + REPO + "/{oid}/{size}", lfs.upload)
    router.add("POST", "api/lfs/{kind}/" + REPO + "/{oid}/{size}", lfs_parts.complete)
    router.add("PUT", "api/lfs/{kind}/" + REPO + "/{oid}/{size}/part/{part}", lfs_parts.upload_part)
    router.add("POST", "api/lfs/{kind}/" + REPO + "/verify", lfs.verify)
    router.add("GET", API_REPO, info.repo_info)
    router.add("GET", API_REPO + "/revision/{rev}", info.repo_info)
    router.add("GET", API_REPO + "/tree/{rev}/{path*}", info.tree)
    router.add("POST", API_REPO + "/paths-info/{rev}", info.paths_info)
    router.add("GET", API_REPO + "/refs", info.refs)
    router.add("GET", API_REPO + "/auth-check", auth_check.read)
    router.add("GET", API_REPO + "/auth-check/write", auth_check.write)
    router.add("POST", API_REPO + "/like", likes.like)
    router.add("DELETE", API_REPO + "/like", likes.unlike)
    router.add("GET", API_REPO + "/likers", likes.likers)
    router.add("GET", API_REPO + "/commits/{rev}", info.commits)
    router.add("POST", API_REPO + "/preupload/{rev}", commits.preupload)
    router.add("GET", API_REPO + "/xet-write-token/{rev*}", cas.write_token)
    router.add("POST", API_REPO + "/commit/{rev}", commits.commit)
    router.add("POST", API_REPO + "/super-squash/{rev}", repos.super_squash)
    router.add("POST", API_REPO + "/duplicate", repos.duplicate_repo)
    router.add("GET", API_REPO + "/lfs-files", lfs_files.list_files)
    router.add("POST", API_REPO + "/lfs-files/batch", lfs_files.delete_files)
    router.add("POST", API_REPO + "/branch/{branch}", repos.create_branch)
    router.add("DELETE", API_REPO + "/branch/{branch}", repos.delete_branch)
    router.add("POST", API_REPO + "/tag/{rev}", repos.create_tag)
    router.add("DELETE", API_REPO + "/tag/{tag}", repos.delete_tag)
    router.add("GET", API_REPO + "/discussions", discussions.list_discussions)
    router.add("POST", API_REPO + "/discussions", discussions.create_discussion)
    router.add("GET", API_REPO + "/discussions/{num}", discussions.discussion_details)
    router.add("POST", API_REPO + "/discussions/{num}/comment", discussions.comment)
    router.add(
        "POST", API_REPO + "/discussions/{num}/comment/{event}/edit", discussions.edit_comment
    )
    router.add(
        "POST", API_REPO + "/discussions/{num}/comment/{event}/hide", discussions.hide_comment
    )
    router.add("POST", API_REPO + "/discussions/{num}/title", discussions.rename)
    router.add("POST", API_REPO + "/discussions/{num}/status", discussions.change_status)
    router.add("POST", API_REPO + "/discussions/{num}/merge", discussions.merge)
    router.add("PUT", API_REPO + "/settings", gating.update_settings)
    router.add("GET", API_REPO + "/user-access-request/{status}", gating.list_requests)
    router.add("POST", API_REPO + "/user-access-request/handle", gating.handle_request)
    router.add("POST", API_REPO + "/user-access-request/grant", gating.grant)
    router.add("GET", cas.CAS_PREFIX + "/v1/chunks/{prefix}/{hash}", cas.chunk)
    router.add("POST", cas.CAS_PREFIX + "/v1/xorbs/{prefix}/{hash}", cas.upload_xorb)
    router.add("POST", cas.CAS_PREFIX + "/v1/shards", cas.upload_shard)
    router.add("POST", "datasets/" + REPO + "/info/lfs/objects/batch", lfs.dataset_batch)
    router.add("POST", REPO + "/info/lfs/objects/batch", lfs.model_batch)
    router.add("GET", "datasets/" + REPO + "/resolve/{rev}/{path*}", resolve.dataset_file)
    router.add("GET", "spaces/" + REPO + "/resolve/{rev}/{path*}", resolve.space_file)
    router.add("GET", REPO + "/resolve/{rev}/{path*}", resolve.model_file)
    return router


class HubApp:
    """Dispatches on the undecoded path (see :mod:`.routing`) and turns every domain error
    into the Hub's ``X-Error-Code`` answer; nothing unexpected leaves as a traceback."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.router = routes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._respond(request)
        if response.status_code >= 400 and not await _drain(request):
            response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        root = request.scope.get("root_path", "").encode("latin-1")
        raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
        path = raw.split(b"?", 1)[0]
        if root and path.startswith(root):
            path = path[len(root) :]
        found = self.router.find(request.method, path.decode("latin-1"))
        if found is None:
            return error_response(404, "no such Hub API route")
        if found is False:
            return error_response(405, f"{request.method} is not allowed here")
        assert not isinstance(found, bool)
        route, params = found
        call = Call(request, params, self.container)
        try:
            return await route.handler(call)
        except DomainError as exc:
            return domain_error_response(exc)
        except ClientDisconnect:
            return error_response(400, "the client went away before the body ended")
        except UnicodeEncodeError:
            return error_response(400, "text must be valid Unicode (no lone surrogates)")
        except Exception:
            log.exception("%s %s crashed", request.method, request.url.path)
            return error_response(500, "internal server error")


async def _drain(request: Request) -> bool:
    """Read and drop the rest of the body; ``False`` when it is longer than the limit."""
    size = 0
    try:
        async for piece in request.stream():
            size += len(piece)
            if size > DRAIN_LIMIT:
                return False
    except (ClientDisconnect, RuntimeError):
        # RuntimeError: the handler had already read (part of) the stream.
        return True
    return True


def create_hub_app(container: Container) -> HubApp:
    return HubApp(container)
