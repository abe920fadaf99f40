"""Service operations (``/``): ListBuckets."""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.model import Repo, RepoType
from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.bucket_names import s3_name
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error


async def handle(call: S3Call) -> Response:
    if call.request.method != "GET":
        raise S3Error(405, "MethodNotAllowed", "the service answers only GET (ListBuckets)")
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "ListBuckets needs a signed request")
    owned = await in_thread(lambda: _owned_buckets(call))
    user = call.principal.user
    root = wire.element("ListAllMyBucketsResult")
    owner = wire.add(root, "Owner")
    wire.add(owner, "ID", user.id)
    wire.add(owner, "DisplayName", user.name)
    listed = wire.add(root, "Buckets")
    for repo in owned:
        name = s3_name(repo.namespace, repo.name)
        if name is None:
            continue
        entry = wire.add(listed, "Bucket")
        wire.add(entry, "Name", name)
        wire.add(entry, "CreationDate", wire.iso8601(repo.created_at))
    return Response(wire.document(root), media_type=wire.XML)


def _owned_buckets(call: S3Call) -> list[Repo]:
    """The buckets of the caller's own namespace and of their organisations."""
    principal: Principal = call.principal
    assert principal.user is not None
    namespaces = [principal.user.name] + [
        org.name for org in call.hub.orgs.list_orgs(principal, mine=True)
    ]
    found: list[Repo] = []
    for namespace in namespaces:
        after = None
        while True:
            page = call.hub.repos.list(
                principal, type=RepoType.BUCKET, namespace=namespace, after=after, limit=1000
            )
            found.extend(page.items)
            if page.next_after is None:
                break
            after = page.next_after
    return sorted(found, key=lambda r: f"{r.namespace}--{r.name}")
