"""The client's models read what the server's response schemas produce.

For every response model a REST route declares, example instances are built from the pydantic
fields (once with every optional field set, once with each left at ``None``), serialised as
FastAPI sends them, and parsed by the client's model. Every server field must land in a client
field with an equal value of the type the client declares, or be listed below as deliberately
unread; so renaming or retyping a field on either side fails here, not in production.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from weighthouse.client import models as client
from weighthouse.client.errors import ApiError
from weighthouse.frontends.rest import (
    access_keys,
    access_requests,
    accounts,
    buckets,
    files,
    health,
    orgs,
    repos,
    schemas,
)

pytestmark = pytest.mark.contract

# server schema -> (client model, {server field: client field}); unlisted fields keep their name
PAIRS: dict[type[BaseModel], tuple[type[Any], dict[str, str]]] = {
    schemas.UserOut: (client.UserInfo, {}),
    schemas.SessionOut: (client.SessionInfo, {}),
    schemas.WhoAmI: (client.WhoAmI, {}),
    schemas.TokenOut: (client.TokenInfo, {}),
    schemas.TokenCreated: (client.TokenInfo, {"token": "secret"}),
    access_keys.AccessKeyOut: (client.AccessKeyInfo, {}),
    access_keys.AccessKeyCreated: (client.AccessKeyInfo, {}),
    schemas.OrgOut: (client.OrgInfo, {}),
    schemas.MemberOut: (client.MemberInfo, {}),
    schemas.AuditOut: (client.AuditEventInfo, {}),
    schemas.RepoOut: (client.RepoInfo, {}),
    schemas.RepoInfoOut: (client.RepoInfo, {}),
    schemas.AccessRequestOut: (client.AccessRequestInfo, {}),
    schemas.RefOut: (client.RefInfo, {}),
    schemas.RefsOut: (client.Refs, {}),
    schemas.CommitOut: (client.CommitInfo, {}),
    schemas.EntryOut: (client.EntryInfo, {}),
    schemas.BlobOut: (client.BlobInfo, {}),
    schemas.BlobRefOut: (client.BlobInfo, {}),
    schemas.UploadOut: (client.UploadInfo, {}),
    schemas.ObjectOut: (client.ObjectInfo, {}),
}
# Pages the client walks by hand: the key holding the items, and the items' client model.
PAGES: dict[type[BaseModel], tuple[str, type[BaseModel]]] = {
    schemas.RepoPage: ("items", schemas.RepoOut),
    schemas.CommitPage: ("items", schemas.CommitOut),
    schemas.TreeOut: ("entries", schemas.EntryOut),
    schemas.ListingOut: ("objects", schemas.ObjectOut),
    schemas.BlobCheckOut: ("available", schemas.BlobRefOut),
}
PAGE_KEYS = {"next_cursor", "commit", "common_prefixes", "missing"}
"""Other keys of a page the client reads (``transport.pages``, ``list_tree``, listings)."""
NOT_READ_BY_THE_CLIENT = {schemas.Health}
"""Response models no client method parses (health is for load balancers)."""


def response_models() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for module in (access_keys, access_requests, accounts, buckets, files, health, orgs, repos):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.response_model is not None:
                model = route.response_model
                while get_origin(model) is list:
                    (model,) = get_args(model)
                found.add(model)
    return found


# --- examples -----------------------------------------------------------------------------


def examples(model: type[BaseModel]) -> Iterator[BaseModel]:
    """One instance with every field set, and one per optional field left at ``None``."""
    yield build(model, none_field=None)
    for name, field in model.model_fields.items():
        if _optional(field.annotation):
            yield build(model, none_field=name)


def build(model: type[BaseModel], none_field: str | None) -> BaseModel:
    values = {
        name: None if name == none_field else example(field.annotation, f"{model.__name__}.{name}")
        for name, field in model.model_fields.items()
    }
    return model(**values)


def example(hint: Any, label: str) -> Any:
    """A value of type ``hint``, distinct per field so swapped fields do not compare equal."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return example(next(a for a in get_args(hint) if a is not type(None)), label)
    if origin is Literal:
        return get_args(hint)[-1]
    if origin is list:
        return [example(get_args(hint)[0], f"{label}[0]")]
    if origin is dict:
        return {f"{label}-key": example(get_args(hint)[1], f"{label}-value")}
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return build(hint, none_field=None)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return list(hint)[-1]
    if hint is bool:
        return True
    if hint is int:
        return 1000 + sum(map(ord, label))
    if hint is datetime:
        return datetime(2026, 1, 2, 3, 4, 5, 600000 + len(label), tzinfo=UTC)
    if hint is str:
        return f"{label}-text"
    if hint is object:
        return f"{label}-object"
    raise AssertionError(f"no example for {hint!r} ({label}); teach example() the type")


def _optional(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)


# --- comparing ----------------------------------------------------------------------------


def same(client_value: Any, hint: Any, wire_value: Any, where: str) -> None:
    """``client_value`` has the type ``hint`` and means ``wire_value`` (the JSON the server
    sent)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if client_value is None:
            assert wire_value is None, f"{where}: the client lost {wire_value!r}"
            return
        hint = next(a for a in get_args(hint) if a is not type(None))
        origin = get_origin(hint)
    if origin is tuple:
        assert isinstance(client_value, tuple), where
        assert len(client_value) == len(wire_value), where
        for i, (c, w) in enumerate(zip(client_value, wire_value, strict=True)):
            same(c, get_args(hint)[0], w, f"{where}[{i}]")
        return
    if origin is dict:
        assert isinstance(client_value, dict) and client_value == wire_value, where
        return
    if dataclasses.is_dataclass(hint):
        compare_dataclass(client_value, wire_value, {}, where)
        return
    assert isinstance(hint, type), f"{where}: unexpected client type {hint!r}"
    assert isinstance(client_value, hint), (
        f"{where}: the client holds {client_value!r} ({type(client_value).__name__}), "
        f"declared {hint.__name__}"
    )
    if isinstance(client_value, datetime):
        assert client_value == datetime.fromisoformat(wire_value), where
    elif isinstance(client_value, enum.Enum):
        assert client_value.value == wire_value, where
    else:
        assert client_value == wire_value, f"{where}: {client_value!r} != {wire_value!r}"


def compare_dataclass(
    parsed: Any, wire: dict[str, Any], renames: dict[str, str], where: str
) -> None:
    hints = typing.get_type_hints(type(parsed), vars(client))
    fields = {f.name for f in dataclasses.fields(parsed)}
    for name, value in wire.items():
        target = renames.get(name, name)
        assert target in fields, (
            f"{where}: the server sends {name!r}, which {type(parsed).__name__} does not read"
        )
        same(getattr(parsed, target), hints[target], value, f"{where}.{target}")


# --- the tests ----------------------------------------------------------------------------


def test_every_response_model_is_paired_with_what_the_client_does_with_it() -> None:
    declared = response_models()
    handled = set(PAIRS) | set(PAGES) | NOT_READ_BY_THE_CLIENT
    assert declared - handled == set(), "pair the new response models with a client model"
    nested = {item for _, item in PAGES.values()}
    assert handled - declared - nested == set(), "a paired model is no longer a response model"


@pytest.mark.parametrize("schema", list(PAIRS), ids=lambda s: s.__name__)
def test_the_client_model_reads_the_schema(schema: type[BaseModel]) -> None:
    model, renames = PAIRS[schema]
    for instance in examples(schema):
        wire = instance.model_dump(mode="json")
        compare_dataclass(model.from_json(wire), wire, renames, schema.__name__)


@pytest.mark.parametrize("page", list(PAGES), ids=lambda s: s.__name__)
def test_the_client_finds_the_items_of_every_page(page: type[BaseModel]) -> None:
    key, item = PAGES[page]
    model, renames = PAIRS[item]
    for instance in examples(page):
        wire = instance.model_dump(mode="json")
        assert set(wire) - {key} <= PAGE_KEYS, f"{page.__name__} sends keys the client ignores"
        for i, raw in enumerate(wire[key]):
            compare_dataclass(model.from_json(raw), raw, renames, f"{page.__name__}.{key}[{i}]")


def test_the_client_reads_the_error_envelope() -> None:
    for instance in examples(schemas.ErrorOut):
        wire = instance.model_dump(mode="json")
        error = ApiError.from_response(httpx.Response(404, json=wire))
        assert (error.code, error.message, error.detail) == (
            wire["error"]["code"],
            wire["error"]["message"],
            wire["error"]["detail"],
        )


def test_a_renamed_or_retyped_field_fails_the_comparison() -> None:
    wire = build(schemas.BlobOut, none_field=None).model_dump(mode="json")
    retyped = {**wire, "size": str(wire["size"])}
    with pytest.raises(AssertionError, match="declared int"):
        compare_dataclass(client.BlobInfo.from_json(retyped), retyped, {}, "BlobOut")
    renamed = {**wire, "digest": wire["sha256"]}
    with pytest.raises(AssertionError, match="does not read"):
        compare_dataclass(client.BlobInfo.from_json(wire), renamed, {}, "BlobOut")
    with pytest.raises(KeyError):
        client.BlobInfo.from_json({k: v for k, v in wire.items() if k != "sha256"})
