"""The catalog's role for bucket configurations (its tags, its CORS rules): one JSON document
per bucket and name, which only the domain reads. Part of
:class:`~weighthouse.domain.catalog.Catalog`; configurations go with their bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from weighthouse.domain.model import Repo

ConfigurationDocument = dict[str, Any]
"""A configuration as stored: a JSON object of the domain's making."""


class BucketConfigurationCatalog(Protocol):
    def put_bucket_configuration(
        self, repo_id: str, name: str, document: ConfigurationDocument
    ) -> None:
        """Create or replace the bucket's configuration ``name``, raising the bucket's
        configuration revision in the same transaction. Raises ``RepoNotFoundError`` when the
        bucket does not exist."""
        ...

    def get_bucket_configuration(
        self, repo_id: str, name: str, *, revision: int | None = None
    ) -> ConfigurationDocument | None:
        """The configuration, or ``None`` when the bucket has none of that name.

        ``revision`` is the bucket's :attr:`~weighthouse.domain.model.Repo.configuration_revision`
        as read with the bucket: at 0 the bucket has no configuration and nothing is read;
        otherwise the answer may come from what this catalog read at that revision. ``None``
        reads the configuration as it is now."""
        ...

    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        """Remove the configuration (raising the bucket's configuration revision); ``False``
        when there was none."""
        ...

    def list_configured_buckets(
        self, name: str, after: str | None, limit: int
    ) -> list[tuple[Repo, ConfigurationDocument]]:
        """Up to ``limit`` buckets holding a configuration ``name``, each with it, in the
        order of their ids, after the bucket whose id is ``after``."""
        ...
