"""The ``{kind:repo_kind}`` path segment: only ``models``, ``datasets`` or ``buckets`` match.

With a plain ``{kind}``, ``PATCH /api/orgs/acme/members`` matched the repo route
``/api/{kind}/{namespace}/{name}`` and failed validation with a 400, where the path exists
and only the method is wrong (405). Matching the kinds in the router lets such a request fall
through to the routes of its real path.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from weighthouse.frontends.rest.schemas import RepoKind

CONVERTOR = "repo_kind"


class RepoKindConvertor(Convertor[str]):
    regex = "|".join(kind.value for kind in RepoKind)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


# Routes are compiled when they are declared, so the routers that use the segment import
# this module first.
register_url_convertor(CONVERTOR, RepoKindConvertor())
