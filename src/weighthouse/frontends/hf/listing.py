"""``GET /api/models`` and ``GET /api/datasets``: the repos a caller may see, as
``list_models`` / ``list_datasets`` (and ``hf models ls``) read them.

``author`` is the namespace, ``search`` a part of ``namespace/name`` (every one of them, when
the 0.x clients send two), ``gated`` whether the repo is gated; pages follow
``Link: rel="next"``, in the order asked for. Repos are listed by name unless ``sort`` says
otherwise; each order below puts the highest first, ties by name:

* ``lastModified`` (``list_models(sort="last_modified")``): the repo's last commit to any
  branch, so a repo whose latest commit went to another branch sorts by that one, while the
  ``lastModified`` that ``full=true`` shows is the head of ``main``;
* ``createdAt`` (``"created_at"``): when the repo was made;
* ``likes``: its likes, as repo info counts them (and the entries then carry the count);
* ``downloads``, ``trendingScore`` (``"trending_score"``): not counted here, every repo has 0,
  so the name order is theirs; ``id`` is the name order itself.

``full=true`` adds each repo's ``sha``, ``lastModified`` and ``siblings`` (its files at the
head of ``main``), ``cardData=true`` its README's front matter (and the card's ``tags``), as
``list_models(full=True)`` and ``list_models(cardData=True)`` read them; ``expand`` asks for
any of these by name. Each costs a read of every listed repo, so only these ask for it.

``direction=-1`` (highest first) is what every order but ``id`` gives; ascending (any other
``direction``) is given for the orders where all repos tie and for ``id``, and refused with a
400 for the others, as is a ``sort`` not listed here and a tag filter, rather than answered in
another order or unfiltered.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import EntryNotFoundError, InvalidInputError, NotFoundError
from weighthouse.domain.model import Gating, Repo, RepoId, RepoOrder, RepoType
from weighthouse.domain.paging import MAX_PAGE
from weighthouse.frontends.hf.calls import Call, json_response, next_link
from weighthouse.frontends.hf.entries import iso, sibling
from weighthouse.frontends.hf.gating import gated_value
from weighthouse.frontends.hf.info import card_of, walk_all

DEFAULT_PAGE = 100
"""Repos per page when the client gives no ``limit``."""
SORTS: dict[str, RepoOrder] = {
    "lastModified": RepoOrder.UPDATED,
    "last_modified": RepoOrder.UPDATED,
    "createdAt": RepoOrder.CREATED,
    "created_at": RepoOrder.CREATED,
    "likes": RepoOrder.LIKES,
    "downloads": RepoOrder.NAME,
    "trendingScore": RepoOrder.NAME,
    "trending_score": RepoOrder.NAME,
    "id": RepoOrder.NAME,
}
"""The ``sort`` values clients send, and the catalog order that gives each."""
TIED = frozenset({"downloads", "trendingScore", "trending_score"})
"""Sorts on figures not counted here: every repo ties, so either direction is the name order."""
_HEAD = frozenset({"sha", "lastModified", "siblings", "cardData"})
"""The ``expand`` values read from the head of ``main``."""
SEARCH_TERMS = 8
"""Most ``search`` values one listing takes (the 0.x clients send the model name and the
search apart)."""
UNFILTERED = ("pipeline_tag", "apps", "inference", "inference_provider", "num_parameters")
"""Filters ``list_models`` sends that nothing here could answer: refused, not ignored, so a
filtered listing is never answered with every repo."""


async def models(call: Call) -> Response:
    return await _list(call, RepoType.MODEL)


async def datasets(call: Call) -> Response:
    return await _list(call, RepoType.DATASET)


async def spaces(call: Call) -> Response:
    """``GET /api/spaces`` (``list_spaces``): Spaces are not served here, so there are none."""
    await call.caller()
    return json_response([])


async def _list(call: Call, kind: RepoType) -> Response:
    caller = await call.caller()
    query = call.request.query_params
    if query.get("filter"):
        raise InvalidInputError("filtering by tag is not supported here; use author or search")
    unknown = [name for name in UNFILTERED if query.get(name)]
    if unknown:
        raise InvalidInputError(
            f"filtering by {', '.join(unknown)} is not supported here; use author, search or gated"
        )
    gated = _gated(query.get("gated"))
    terms = [term for term in dict.fromkeys(query.getlist("search")) if term]
    if len(terms) > SEARCH_TERMS or any(len(term) > 200 for term in terms):
        raise InvalidInputError(f"search takes at most {SEARCH_TERMS} terms of 200 characters")
    sort = query.get("sort") or "id"
    order = _order(sort, query.get("direction"))
    limit = _limit(query.get("limit"))
    cursor = query.get("cursor")
    if cursor is not None and len(cursor) > 2048:
        raise InvalidInputError("the cursor is too long")
    expand = set(query.getlist("expand"))
    full = _flag(query.get("full"))
    siblings = full or "siblings" in expand
    card = _flag(query.get("cardData")) or "cardData" in expand
    page = await run_in_threadpool(
        call.hub.repos.list,
        caller,
        type=kind,
        namespace=query.get("author") or None,
        search=terms[0] if terms else None,
        after=cursor or None,
        limit=limit,
        order=order,
    )
    # The catalog searches for one term and knows no gate filter: the page is narrowed here,
    # and may come out short or empty while its Link leads on.
    repos = tuple(
        repo
        for repo in page.items
        if all(term.lower() in repo.full_name.lower() for term in terms[1:])
        and (gated is None or (repo.gated is not Gating.OFF) is gated)
    )
    items = [_entry(repo) for repo in repos]
    if full or card or _HEAD & expand:
        await run_in_threadpool(_add_heads, call, caller, repos, items, siblings, card)
    if order is RepoOrder.LIKES:
        await run_in_threadpool(_add_likes, call, caller, repos, items)
    headers = {}
    if page.next_after is not None:
        headers["Link"] = next_link(call, cursor=page.next_after)
    return json_response(items, headers=headers)


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _gated(value: str | None) -> bool | None:
    """``gated=true`` lists gated repos only, ``gated=false`` the others."""
    if value is None or value == "":
        return None
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise InvalidInputError("gated must be true or false")


def _order(sort: str, direction: str | None) -> RepoOrder:
    order = SORTS.get(sort)
    if order is None:
        known = ", ".join(sorted(SORTS))
        raise InvalidInputError(f"sort={sort[:100]} is not a sort key here; use one of {known}")
    if direction is None or sort in TIED:
        return order
    try:
        descending = int(direction) == -1
    except ValueError:
        raise InvalidInputError("direction must be -1 (descending) or 1 (ascending)") from None
    if descending and sort == "id":
        raise InvalidInputError("sort=id lists repos by name, ascending; drop direction=-1")
    if not descending and sort != "id":
        raise InvalidInputError(f"sort={sort} lists the highest first; use direction=-1")
    return order


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError("limit must be a whole number") from None
    # A client asking for more than a page gets a page and a Link to the next one.
    return max(1, min(value, MAX_PAGE))


def _entry(repo: Repo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": repo.id,
        "id": repo.full_name,
        "author": repo.namespace,
        "private": repo.private,
        "gated": gated_value(repo.gated),
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "trendingScore": 0,
        "tags": [],
        "createdAt": iso(repo.created_at),
        "description": repo.description,
    }
    if repo.type is RepoType.MODEL:
        out["modelId"] = repo.full_name
    return out


def _add_heads(
    call: Call,
    caller: Principal,
    repos: tuple[Repo, ...],
    items: list[dict[str, Any]],
    siblings: bool,
    card: bool,
) -> None:
    """Each repo's ``sha`` and ``lastModified`` from the head of ``main``, when it has one,
    with its files as ``siblings`` and its README's front matter as ``cardData`` if asked."""
    for repo, item in zip(repos, items, strict=True):
        repo_id = RepoId(repo.type, repo.namespace, repo.name)
        try:
            resolved = call.hub.revisions.resolve(caller, repo_id, "main")
            commit = resolved.commit.id
            item["sha"] = commit
            item["lastModified"] = iso(resolved.commit.created_at)
            if siblings:
                files = walk_all(call, caller, repo_id, commit)
                item["siblings"] = [sibling(f, blobs=False) for f in files if f.entry.sha256]
            if card:
                _add_card(item, card_of(call, caller, repo_id, commit))
        except EntryNotFoundError:
            continue  # no README.md: no card
        except NotFoundError:
            continue  # deleted since the page was read


def _add_card(item: dict[str, Any], card: dict[str, Any] | None) -> None:
    """``cardData`` and the card's ``tags``, as repo info shows them."""
    if card is None:
        return
    item["cardData"] = card
    tags = card.get("tags")
    if isinstance(tags, list):
        item["tags"] = [t for t in tags if isinstance(t, str)]


def _add_likes(
    call: Call, caller: Principal, repos: tuple[Repo, ...], items: list[dict[str, Any]]
) -> None:
    """Each repo's likes, the figure the page is ordered by."""
    for repo, item in zip(repos, items, strict=True):
        repo_id = RepoId(repo.type, repo.namespace, repo.name)
        try:
            item["likes"] = call.hub.likes.count(caller, repo_id)
        except NotFoundError:
            continue  # deleted since the page was read
