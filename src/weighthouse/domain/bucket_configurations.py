"""Bucket configurations S3 clients set: a bucket's tags, its CORS rules, its policy and its
lifecycle rules.

Reading one asks for read access to the bucket, setting or removing one for admin access (the
bucket's settings, as its visibility); the policy is read with admin access too, as S3
keeps it to the owner. :meth:`BucketConfigurations.cors_rules` asks nothing:
a browser's preflight carries no credentials, and the rules themselves say which origins the
bucket's owner lets in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from weighthouse.domain import lifecycle
from weighthouse.domain.access import Principal
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.bucket_policy import POLICY, check_policy, s3_bucket_name, stored_policy
from weighthouse.domain.cors import CorsRule, check_rules, rule_document, rule_from
from weighthouse.domain.encryption import DEFAULT_ENCRYPTION, EncryptionRequest
from weighthouse.domain.errors import InvalidInputError, RepoNotFoundError
from weighthouse.domain.lifecycle import (
    LIFECYCLE,
    LifecycleRule,
    configured_rules,
    current_expiration,
    upload_abort,
)
from weighthouse.domain.lifecycle import rule_document as lifecycle_document
from weighthouse.domain.model import BucketObject, MultipartUpload, Repo, RepoId, Role
from weighthouse.domain.names import check_name
from weighthouse.domain.repos import RepoLookup, find_bucket
from weighthouse.domain.tagging import BUCKET_TAGS, check_tags

TAGGING = "tagging"
CORS = "cors"


class ConfigurationCatalog(RepoLookup, BucketConfigurationCatalog, Protocol):
    """What :class:`BucketConfigurations` uses."""


class BucketConfigurations:
    def __init__(self, catalog: ConfigurationCatalog) -> None:
        self._catalog = catalog

    def _bucket(self, principal: Principal, bucket: RepoId, need: Role) -> str:
        return find_bucket(self._catalog, principal, bucket, need).id

    def policy(self, principal: Principal, bucket: RepoId) -> str | None:
        """The bucket's policy as it was set, ``None`` when it has none."""
        document = self._catalog.get_bucket_configuration(
            self._bucket(principal, bucket, Role.ADMIN), POLICY
        )
        return None if document is None else str(document["text"])

    def set_policy(self, principal: Principal, bucket: RepoId, text: str) -> None:
        """Replace the bucket's policy with ``text``; ``MalformedPolicyError`` as S3 refuses
        it (see :mod:`~weighthouse.domain.bucket_policy`)."""
        repo = find_bucket(self._catalog, principal, bucket, Role.ADMIN)
        check_policy(text, s3_bucket_name(repo.namespace, repo.name))
        self._catalog.put_bucket_configuration(repo.id, POLICY, {"text": text})

    def policy_is_public(self, principal: Principal, bucket: RepoId) -> bool:
        """Whether everyone may read the bucket or its policy grants everyone something
        without tying it to callers or networks (S3's ``PolicyStatus/IsPublic``)."""
        repo = find_bucket(self._catalog, principal, bucket, Role.ADMIN)
        document = self._catalog.get_bucket_configuration(repo.id, POLICY)
        return not repo.private or (document is not None and stored_policy(document).is_public)

    def tags(self, principal: Principal, bucket: RepoId) -> dict[str, str] | None:
        """The bucket's tags in key order, ``None`` when it has none."""
        repo_id = self._bucket(principal, bucket, Role.READ)
        document = self._catalog.get_bucket_configuration(repo_id, TAGGING)
        if document is None:
            return None
        return {str(key): str(value) for key, value in document["tags"]}

    def set_tags(
        self, principal: Principal, bucket: RepoId, tags: Iterable[tuple[str, str]]
    ) -> dict[str, str]:
        """Replace the bucket's tags (up to :data:`~weighthouse.domain.tagging.BUCKET_TAGS`;
        ``InvalidTagError``); none removes them."""
        repo_id = self._bucket(principal, bucket, Role.ADMIN)
        checked = check_tags(tags, limit=BUCKET_TAGS)
        if not checked:
            self._catalog.delete_bucket_configuration(repo_id, TAGGING)
            return checked
        document = {"tags": [[key, value] for key, value in checked.items()]}
        self._catalog.put_bucket_configuration(repo_id, TAGGING, document)
        return checked

    def default_encryption(self, principal: Principal, bucket: RepoId) -> dict[str, Any] | None:
        """The bucket's default encryption (see
        :data:`~weighthouse.domain.encryption.DEFAULT_ENCRYPTION`), ``None`` when it has none."""
        repo_id = self._bucket(principal, bucket, Role.READ)
        return self._catalog.get_bucket_configuration(repo_id, DEFAULT_ENCRYPTION)

    def set_default_encryption(
        self,
        principal: Principal,
        bucket: RepoId,
        request: EncryptionRequest,
        *,
        bucket_key: bool = False,
    ) -> None:
        """Encrypt the objects and uploads written from now on that ask for no encryption as
        ``request`` asks (``AES256`` or ``aws:kms``; a customer's key cannot be a default).
        ``bucket_key`` is kept and answered back; it changes nothing here."""
        repo_id = self._bucket(principal, bucket, Role.ADMIN)
        if request.customer is not None:
            raise InvalidInputError("a bucket's default encryption cannot be a customer's key")
        document = {
            "algorithm": request.kind,
            "kms_key_id": request.kms_key_id,
            "bucket_key": bucket_key,
        }
        self._catalog.put_bucket_configuration(repo_id, DEFAULT_ENCRYPTION, document)

    def cors(self, principal: Principal, bucket: RepoId) -> tuple[CorsRule, ...] | None:
        """The bucket's CORS rules, ``None`` when it has none."""
        return self._cors(self._bucket(principal, bucket, Role.READ))

    def set_cors(self, principal: Principal, bucket: RepoId, rules: Sequence[CorsRule]) -> None:
        """Replace the bucket's CORS rules; ``InvalidCorsError`` as S3 refuses them."""
        repo_id = self._bucket(principal, bucket, Role.ADMIN)
        checked = check_rules(rules)
        document = {"rules": [rule_document(rule) for rule in checked]}
        self._catalog.put_bucket_configuration(repo_id, CORS, document)

    def lifecycle(self, principal: Principal, bucket: RepoId) -> tuple[LifecycleRule, ...] | None:
        """The bucket's lifecycle rules, ``None`` when it has none."""
        repo_id = self._bucket(principal, bucket, Role.READ)
        return configured_rules(self._catalog.get_bucket_configuration(repo_id, LIFECYCLE))

    def check_settable(self, principal: Principal, bucket: RepoId) -> None:
        """Raise as setting a configuration of ``bucket`` would unless ``principal`` may."""
        self._bucket(principal, bucket, Role.ADMIN)

    def set_lifecycle(
        self, principal: Principal, bucket: RepoId, rules: Sequence[LifecycleRule]
    ) -> None:
        """Replace the bucket's lifecycle rules; ``InvalidLifecycleError`` (or its
        ``LifecycleRuleConflictError``) as S3 refuses them."""
        repo_id = self._bucket(principal, bucket, Role.ADMIN)
        checked = lifecycle.check_rules(rules)
        document = {"rules": [lifecycle_document(rule) for rule in checked]}
        self._catalog.put_bucket_configuration(repo_id, LIFECYCLE, document)

    def remove(self, principal: Principal, bucket: RepoId, name: str) -> None:
        """Remove the configuration ``name`` (:data:`TAGGING`, :data:`CORS`,
        :data:`~weighthouse.domain.lifecycle.LIFECYCLE`,
        :data:`~weighthouse.domain.bucket_policy.POLICY` or
        :data:`~weighthouse.domain.encryption.DEFAULT_ENCRYPTION`); idempotent."""
        repo_id = self._bucket(principal, bucket, Role.ADMIN)
        self._catalog.delete_bucket_configuration(repo_id, name)

    def expiration(self, bucket: RepoId, obj: BucketObject) -> tuple[datetime, str] | None:
        """When the bucket's lifecycle rules expire ``obj``, its current object, and the id of
        the rule that does (see :func:`~weighthouse.domain.lifecycle.current_expiration`);
        ``None`` when none does. Asks nothing: only for a caller the object was just given to
        (or who just wrote it)."""
        repo = self._stored(bucket)
        return None if repo is None else self.expiration_in(repo, obj)

    def expiration_in(self, repo: Repo, obj: BucketObject) -> tuple[datetime, str] | None:
        """:meth:`expiration` in ``repo``, the bucket as just read with the object."""
        rules = self._lifecycle_rules(repo)
        if not rules:
            return None
        return current_expiration(rules, obj.key, obj.size, obj.tags, obj.modified_at)

    def upload_abort(self, bucket: RepoId, upload: MultipartUpload) -> tuple[datetime, str] | None:
        """When the bucket's lifecycle rules abort ``upload`` if it is still incomplete, and
        the id of the rule that does (see :func:`~weighthouse.domain.lifecycle.upload_abort`);
        ``None`` when none does. Asks nothing: only for a caller the upload was just given to
        (or who just began it)."""
        repo = self._stored(bucket)
        rules = self._lifecycle_rules(repo) if repo is not None else ()
        if not rules:
            return None
        return upload_abort(rules, upload.key, upload.created_at)

    def _stored(self, bucket: RepoId) -> Repo | None:
        try:
            return self._catalog.get_repo(bucket.type, bucket.namespace, bucket.name)
        except RepoNotFoundError:
            return None

    def _lifecycle_rules(self, repo: Repo) -> Sequence[LifecycleRule]:
        # Read at the bucket's revision: none for a bucket without configurations, and at most
        # once per revision for one with some.
        document = self._catalog.get_bucket_configuration(
            repo.id, LIFECYCLE, revision=repo.configuration_revision
        )
        return configured_rules(document) or ()

    def cors_rules(self, bucket: RepoId) -> tuple[CorsRule, ...]:
        """The CORS rules a browser's request to ``bucket`` is matched against, for anyone:
        none for a bucket without rules and for a name no bucket has."""
        try:
            check_name(bucket.namespace, what="namespace")
            check_name(bucket.name, what="repo name")
            repo = self._catalog.get_repo(bucket.type, bucket.namespace, bucket.name)
        except (InvalidInputError, RepoNotFoundError):
            return ()
        return self._cors(repo.id, repo.configuration_revision) or ()

    def _cors(self, repo_id: str, revision: int | None = None) -> tuple[CorsRule, ...] | None:
        document = self._catalog.get_bucket_configuration(repo_id, CORS, revision=revision)
        if document is None:
            return None
        return tuple(rule_from(rule) for rule in document["rules"])
