"""Reading and replacing the access control list of a bucket or an object (see
:mod:`~weighthouse.domain.acls` for the model and where each grant is kept).

Reading an ACL needs ``READ_ACP`` and replacing it ``WRITE_ACP``, held by the bucket's
``admin`` role (its owner always) or granted by the ACL itself; a caller holding nothing on the
bucket gets ``RepoNotFoundError``, as for a bucket that does not exist. The owner named in an
ACL must be the bucket's (``AclOwnerMismatchError``), and each user granted must exist
(``InvalidGranteeError``). A replacement is one unit of work: the bucket's visibility, its
collaborators and its stored grants change together, and a change of visibility is audited as
the REST API's is.

An object's ACL is read with ``READ_ACP`` on it and replaced with ``WRITE_ACP`` (see
:func:`~weighthouse.domain.access.require_object_permission`); it keeps its owner, the account
that wrote the object (its bucket's owner for an anonymous write and by default), and
:func:`new_object_acl` makes it for each write. Each version of an object has its own ACL,
written with it and kept when a newer version replaces it: a request naming a version is
decided by that version's ACL (:func:`find_version_for`), one naming none by the latest's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from weighthouse.domain import acls
from weighthouse.domain.access import (
    Principal,
    require_bucket_permission,
    require_object_permission,
)
from weighthouse.domain.acls import Acl, AclRequest, Grant, GranteeKind, Permission
from weighthouse.domain.audit import Audit
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.catalog import (
    CollaboratorCatalog,
    ObjectCatalog,
    OrganizationCatalog,
    UnitOfWork,
    UserCatalog,
)
from weighthouse.domain.errors import (
    AclOwnerMismatchError,
    ConflictError,
    EntryNotFoundError,
    InvalidGranteeError,
    InvalidInputError,
    OrganizationNotFoundError,
    RepoNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import BucketObject, Member, Repo, RepoId, RepoType, Role
from weighthouse.domain.names import check_key, check_name
from weighthouse.domain.object_versions import (
    ObjectVersion,
    ObjectVersionCatalog,
    check_version_id,
    version_object,
)
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import RepoLookup, require_bucket, stored_repo


class OwnerCatalog(OrganizationCatalog, UserCatalog, Protocol):
    """What finding a bucket's owner and checking grantees read."""


def bucket_owner_id(
    catalog: OrganizationCatalog, repo: Repo, principal: Principal | None = None
) -> str:
    """The account that owns ``repo``: its organisation, or the user who owns it. A
    ``principal`` that is that user, in their own namespace, saves the read of the namespace
    (users and organisations share names, so it is no organisation's)."""
    user = principal.user if principal is not None else None
    if user is not None and user.id == repo.owner_id and user.name == repo.namespace:
        return repo.owner_id
    try:
        return catalog.get_org(repo.namespace).id
    except OrganizationNotFoundError:
        return repo.owner_id


def check_grantees(catalog: UserCatalog, grants: Iterable[Grant], owner_id: str | None) -> None:
    """``InvalidGranteeError`` unless every user granted exists (or is ``owner_id``)."""
    for grant in grants:
        if grant.grantee.kind is not GranteeKind.USER or grant.grantee.id == owner_id:
            continue
        try:
            catalog.get_user_by_id(grant.grantee.id)
        except UserNotFoundError:
            raise InvalidGranteeError(
                f"no user has the id {grant.grantee.id[:64]!r}", grantee=grant.grantee.id
            ) from None


def new_object_acl(
    catalog: OwnerCatalog, principal: Principal, repo: Repo, request: AclRequest | None
) -> Acl | None:
    """The ACL of an object ``principal`` writes to the bucket ``repo``, as ``request`` asks:
    owned by the writer (by the bucket's owner when anonymous), ``private`` unless asked
    otherwise; ``None`` when that is the default. Raises ``InvalidGranteeError`` and
    ``InvalidAclError``."""
    bucket_owner = bucket_owner_id(catalog, repo, principal)
    owner = principal.user.id if principal.user is not None else bucket_owner
    if request is None and owner == bucket_owner:
        return None
    grants = (request or AclRequest(canned="private")).resolve(owner, bucket_owner)
    check_grantees(catalog, grants, owner)
    return Acl(owner, grants)


_ACL_ATTEMPTS = 5
"""How many times setting an object's ACL checks the object again when it changed between the
check and the write."""


class VersionLookup(RepoLookup, ObjectVersionCatalog, Protocol):
    """What :func:`find_version_for` reads: the bucket, the caller's grants on it, its
    policy, and the version."""


def find_version_for(
    catalog: VersionLookup,
    principal: Principal,
    bucket: RepoId,
    key: str,
    version_id: str,
    need: Permission,
) -> tuple[Repo, BucketObject]:
    """The bucket and the object that is version ``version_id`` of ``key``, if the caller
    holds ``need`` on that version: decided by
    :func:`~weighthouse.domain.access.require_object_permission` with the version's own ACL
    and tags (the bucket's rules alone for a version that does not exist). After that
    decision, ``InvalidInputError`` for a key or an id no version can have,
    ``VersionNotFoundError`` when the key has no version of that id, ``DeleteMarkerError``
    when it is a delete marker."""
    if bucket.type is not RepoType.BUCKET:
        raise InvalidInputError("not a bucket id")
    repo = stored_repo(catalog, bucket)
    invalid: InvalidInputError | None = None
    found: ObjectVersion | None = None
    try:
        key = check_key(key)
        found = catalog.get_object_version(repo.id, key, check_version_id(version_id))
    except InvalidInputError as error:
        invalid = error
    obj = found.object if found is not None else None
    tags = obj.tags if obj is not None else {}
    require_object_permission(
        catalog,
        principal,
        repo,
        obj.acl if obj is not None else None,
        need,
        tags=lambda: tags,
    )
    require_bucket(repo)
    if invalid is not None:
        raise invalid
    return repo, version_object(found, key, version_id)


class AccessListCatalog(
    RepoLookup,
    ObjectVersionCatalog,
    CollaboratorCatalog,
    OrganizationCatalog,
    UserCatalog,
    BucketConfigurationCatalog,
    ObjectCatalog,
    UnitOfWork,
    Protocol,
):
    """What :class:`AccessLists` uses."""


@dataclass(frozen=True)
class AclView:
    """An ACL as a client reads it: the owner's id and name, the grants, and the name of each
    user granted (by id)."""

    owner_id: str
    owner_name: str
    grants: tuple[Grant, ...]
    names: dict[str, str]


class AccessLists:
    def __init__(self, catalog: AccessListCatalog, clock: Clock, audit: Audit) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit

    def _bucket(self, principal: Principal, bucket: RepoId, need: Permission) -> Repo:
        if bucket.type is not RepoType.BUCKET:
            raise InvalidInputError("not a bucket id")
        repo = stored_repo(self._catalog, bucket)
        require_bucket_permission(self._catalog, principal, repo, need)
        require_bucket(repo)
        return repo

    def owner_id(self, repo: Repo) -> str:
        return bucket_owner_id(self._catalog, repo)

    def bucket_acl(self, principal: Principal, bucket: RepoId) -> AclView:
        """The bucket's ACL as it holds now: its visibility, its collaborators and its stored
        grants (the owner's ``FULL_CONTROL`` when none were ever set)."""
        repo = self._bucket(principal, bucket, Permission.READ_ACP)
        owner_id = self.owner_id(repo)
        document = self._catalog.get_bucket_configuration(repo.id, acls.BUCKET_ACL)
        stored = (
            acls.grants_from(document["grants"])
            if document is not None
            else acls.canned("private", owner_id)
        )
        groups: list[Grant] = []
        if not repo.private and not any(
            g.grantee == acls.ALL_USERS and g.permission is Permission.FULL_CONTROL for g in stored
        ):
            groups.append(Grant(acls.ALL_USERS, Permission.READ))
        users: list[Grant] = []
        for grant in stored:
            if grant.grantee.kind is GranteeKind.USER:
                users.append(grant)
            elif repo.private and grant.permission is Permission.FULL_CONTROL:
                # Everyone's READ is the visibility alone: a private bucket states the rest.
                groups.extend(
                    Grant(grant.grantee, p)
                    for p in (Permission.WRITE, Permission.READ_ACP, Permission.WRITE_ACP)
                )
            else:
                groups.append(grant)
        names: dict[str, str] = {}
        for member in self._catalog.list_collaborators(repo.id):
            names[member.user_id] = member.user_name
            users.extend(Grant(acls.Grantee.user(member.user_id), p) for p in _role(member.role))
        for grant in users:
            if grant.grantee.id not in names:
                names[grant.grantee.id] = self._name(grant.grantee.id, repo, owner_id)
        return AclView(owner_id, repo.namespace, (*groups, *users), names)

    def check_grantees(self, grants: Iterable[Grant], owner_id: str | None = None) -> None:
        """``InvalidGranteeError`` unless every user granted exists (or is ``owner_id``)."""
        check_grantees(self._catalog, grants, owner_id)

    def check_acl_write(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str | None = None,
        *,
        version_id: str | None = None,
    ) -> None:
        """Raise what :meth:`set_bucket_acl` (``key`` ``None``) or :meth:`set_object_acl`
        would raise for the caller's permission and the target's existence alone, so that a
        front-end answers those before it reads or judges the ACL a request carries. The
        write itself checks again."""
        if key is None:
            self._bucket(principal, bucket, Permission.WRITE_ACP)
        else:
            self._object(principal, bucket, key, Permission.WRITE_ACP, version_id)

    def set_bucket_acl(
        self,
        principal: Principal,
        bucket: RepoId,
        grants: Sequence[Grant] = (),
        *,
        canned: str | None = None,
        owner_id: str | None = None,
    ) -> None:
        """Replace the bucket's ACL with ``grants``, or with the canned ACL named ``canned``
        (``InvalidAclError`` for a name :data:`~weighthouse.domain.acls.CANNED` lacks);
        ``owner_id``, when the request names an owner, must be the bucket's."""
        repo = self._bucket(principal, bucket, Permission.WRITE_ACP)
        owner = self.owner_id(repo)
        if owner_id is not None and owner_id != owner:
            raise AclOwnerMismatchError("the ACL names another owner than the bucket's")
        if canned is not None:
            grants = acls.canned(canned, owner)
        checked = acls.check_grants(grants)
        self.check_grantees(checked, owner)
        split = acls.split_bucket_grants(checked, owner)
        now = self._clock()

        def store() -> None:
            current = {m.user_id: m for m in self._catalog.list_collaborators(repo.id)}
            fresh = self._catalog.get_repo(repo.type, repo.namespace, repo.name)
            if fresh.private == split.public:
                self._catalog.update_repo(replace(fresh, private=not split.public))
                self._audit.record(
                    "repo.visibility",
                    actor=self._audit.by(principal),
                    target=f"{repo.type.value}:{repo.full_name}",
                    detail={"private": str(not split.public).lower()},
                )
            for user_id in current.keys() - split.roles.keys():
                self._catalog.remove_collaborator(repo.id, user_id)
            for user_id, role in split.roles.items():
                known = current.get(user_id)
                if known is None or known.role is not role:
                    name = self._catalog.get_user_by_id(user_id).name
                    self._catalog.set_collaborator(repo.id, Member(user_id, name, role, now))
            self._catalog.put_bucket_configuration(
                repo.id, acls.BUCKET_ACL, {"grants": acls.grants_document(split.stored)}
            )

        self._catalog.run_atomic(store)

    def _object(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        need: Permission,
        version_id: str | None,
    ) -> tuple[Repo, BucketObject]:
        if version_id is not None:
            return find_version_for(self._catalog, principal, bucket, key, version_id, need)
        key = check_key(key)
        if bucket.type is not RepoType.BUCKET:
            raise InvalidInputError("not a bucket id")
        check_name(bucket.namespace, what="namespace")
        check_name(bucket.name, what="repo name")
        try:
            repo, obj = self._catalog.find_object(bucket.type, bucket.namespace, bucket.name, key)
        except RepoNotFoundError:
            raise RepoNotFoundError.named(f"{bucket.namespace}/{bucket.name}") from None
        require_object_permission(
            self._catalog, principal, repo, obj.acl if obj is not None else None, need
        )
        require_bucket(repo)
        if obj is None:
            raise EntryNotFoundError(f"no object {key!r}", key=key)
        return repo, obj

    def object_acl(
        self, principal: Principal, bucket: RepoId, key: str, *, version_id: str | None = None
    ) -> AclView:
        """The object's ACL: its owner and the grants given; with ``version_id``, that
        version's (the errors of :func:`find_version_for`). (Whoever may read its bucket
        reads the object too, whatever its grants: a public bucket's objects are public.)"""
        repo, obj = self._object(principal, bucket, key, Permission.READ_ACP, version_id)
        bucket_owner = self.owner_id(repo)
        acl = obj.acl or Acl(bucket_owner, acls.canned("private", bucket_owner))
        grants = acl.grants
        names = {
            g.grantee.id: self._name(g.grantee.id, repo, bucket_owner)
            for g in (*grants, Grant(acls.Grantee.user(acl.owner_id), Permission.READ))
            if g.grantee.kind is GranteeKind.USER
        }
        groups = [g for g in grants if g.grantee.kind is not GranteeKind.USER]
        users = [g for g in grants if g.grantee.kind is GranteeKind.USER]
        return AclView(acl.owner_id, names[acl.owner_id], (*groups, *users), names)

    def set_object_acl(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        grants: Sequence[Grant] = (),
        *,
        canned: str | None = None,
        owner_id: str | None = None,
        version_id: str | None = None,
    ) -> None:
        """Replace the object's ACL with ``grants`` or the canned ACL ``canned``; it keeps its
        owner, which ``owner_id``, when the request names one, must be. With ``version_id``,
        that version's ACL (the errors of :func:`find_version_for`), the latest's otherwise:
        the version that was the latest when the permission was checked, whose ACL is then
        replaced even when a newer one has replaced it since. The write takes effect only on
        the version as it was checked; one changed since (a new object in the ``null``
        version's place, another ACL) is checked again, up to :data:`_ACL_ATTEMPTS` times,
        then ``ConflictError``."""
        for _ in range(_ACL_ATTEMPTS):
            repo, obj = self._object(principal, bucket, key, Permission.WRITE_ACP, version_id)
            bucket_owner = self.owner_id(repo)
            owner = obj.acl.owner_id if obj.acl is not None else bucket_owner
            if owner_id is not None and owner_id != owner:
                raise AclOwnerMismatchError("the ACL names another owner than the object's")
            given = AclRequest(canned=canned, grants=tuple(grants)).resolve(owner, bucket_owner)
            check_grantees(self._catalog, given, owner)
            # By the id of the version checked, not by key, and only while it is the object
            # checked: a write since may have made another version the latest, or put a new
            # object in the null version's place, whose ACL and owner were not checked.
            acl = Acl(owner, given)
            if self._catalog.set_object_version_acl(
                repo.id, obj.key, obj.version_id, acl, read=obj
            ):
                return
        raise ConflictError(f"the object {key!r} kept changing while its ACL was being set")

    def _name(self, user_id: str, repo: Repo, owner_id: str) -> str:
        if user_id == owner_id:
            return repo.namespace
        try:
            return self._catalog.get_user_by_id(user_id).name
        except UserNotFoundError:
            return ""  # a user deleted since the grant


def _role(role: Role) -> tuple[Permission, ...]:
    return acls.ROLE_GRANTS[role]
