"""A bucket's CORS configuration: the rules S3 holds it to and how a browser's request is
matched against it.

A rule allows cross-origin requests from its origins (``http://*.example.com``: at most one
``*``, which stands for any run of characters) with its methods (``GET``, ``PUT``, ``POST``,
``DELETE``, ``HEAD``, in capitals) and, for a preflight, the request headers it names
(compared without case, also with at most one ``*``). The first rule that allows a request
answers it, as in S3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from weighthouse.domain.errors import InvalidCorsError

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100
ID_MAX = 255


@dataclass(frozen=True)
class CorsRule:
    """One ``<CORSRule>``; ``max_age_seconds`` is how long a browser may keep a preflight's
    answer (``None``: the browser decides)."""

    allowed_methods: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None

    def allows_origin(self, origin: str) -> str | None:
        """The allowed origin ``origin`` matches, if any."""
        return next((o for o in self.allowed_origins if wildcard_match(o, origin)), None)

    def allows_headers(self, headers: Iterable[str]) -> bool:
        return all(
            any(wildcard_match(a.lower(), h.lower()) for a in self.allowed_headers) for h in headers
        )


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern``, whose one ``*`` (if any) stands for any run of
    characters."""
    if "*" not in pattern:
        return pattern == text
    head, _, tail = pattern.partition("*")
    return len(text) >= len(head) + len(tail) and text.startswith(head) and text.endswith(tail)


def check_rules(rules: Sequence[CorsRule]) -> tuple[CorsRule, ...]:
    """``rules`` as a configuration; ``InvalidCorsError`` when S3 would refuse them."""
    if not 1 <= len(rules) <= MAX_RULES:
        raise InvalidCorsError(f"a CORS configuration holds 1 to {MAX_RULES} rules")
    for rule in rules:
        if not rule.allowed_methods or not rule.allowed_origins:
            raise InvalidCorsError("every CORS rule needs an AllowedMethod and an AllowedOrigin")
        for method in rule.allowed_methods:
            if method not in METHODS:
                raise InvalidCorsError(
                    "Found unsupported HTTP method in CORS config. "
                    f"Unsupported method is {method[:32]}"
                )
        for origin in rule.allowed_origins:
            if origin.count("*") > 1:
                raise InvalidCorsError(
                    f'AllowedOrigin "{origin[:256]}" can not have more than one wildcard.'
                )
        for header in rule.allowed_headers:
            if header.count("*") > 1:
                raise InvalidCorsError(
                    f'AllowedHeader "{header[:256]}" can not have more than one wildcard.'
                )
        if rule.id is not None and len(rule.id) > ID_MAX:
            raise InvalidCorsError(f"a CORS rule's ID is at most {ID_MAX} characters")
        if rule.max_age_seconds is not None and rule.max_age_seconds < 0:
            raise InvalidCorsError("MaxAgeSeconds cannot be negative")
    return tuple(rules)


def matching_rule(
    rules: Sequence[CorsRule], origin: str, method: str, headers: Iterable[str] = ()
) -> CorsRule | None:
    """The first rule allowing a request from ``origin`` with ``method`` (a preflight's
    ``Access-Control-Request-Method``) and ``headers`` (its ``Access-Control-Request-Headers``)."""
    wanted = [h for h in headers if h]
    for rule in rules:
        if (
            rule.allows_origin(origin) is not None
            and method in rule.allowed_methods
            and rule.allows_headers(wanted)
        ):
            return rule
    return None


def rule_document(rule: CorsRule) -> dict[str, object]:
    """A rule as the catalog stores it (JSON)."""
    return {
        "id": rule.id,
        "allowed_methods": list(rule.allowed_methods),
        "allowed_origins": list(rule.allowed_origins),
        "allowed_headers": list(rule.allowed_headers),
        "expose_headers": list(rule.expose_headers),
        "max_age_seconds": rule.max_age_seconds,
    }


def rule_from(document: dict[str, object]) -> CorsRule:
    def strings(name: str) -> tuple[str, ...]:
        value = document.get(name) or []
        assert isinstance(value, list)
        return tuple(str(v) for v in value)

    age = document.get("max_age_seconds")
    rule_id = document.get("id")
    return CorsRule(
        allowed_methods=strings("allowed_methods"),
        allowed_origins=strings("allowed_origins"),
        allowed_headers=strings("allowed_headers"),
        expose_headers=strings("expose_headers"),
        max_age_seconds=int(age) if isinstance(age, int) else None,
        id=str(rule_id) if rule_id is not None else None,
    )
