"""The catalog's role for bucket configurations (its tags, its CORS rules): one JSON document
per bucket and name, which only the domain reads. Part of
:class:`~weighthouse.domain.catalog.Catalog`; configurations go with their bucket."""

from __future__ import annotations

from typing import Any, Protocol

ConfigurationDocument = dict[str, Any]
"""A configuration as stored: a JSON object of the domain's making."""


class BucketConfigurationCatalog(Protocol):
    def put_bucket_configuration(
        self, repo_id: str, name: str, document: ConfigurationDocument
    ) -> None:
        """Create or replace the bucket's configuration ``name``. Raises
        ``RepoNotFoundError`` when the bucket does not exist."""
        ...

    def get_bucket_configuration(self, repo_id: str, name: str) -> ConfigurationDocument | None:
        """The configuration, or ``None`` when the bucket has none of that name."""
        ...

    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        """Remove the configuration; ``False`` when there was none."""
        ...
