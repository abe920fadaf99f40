"""Access control lists: grants of S3's five permissions to users and to two groups.

A grant gives one :class:`Permission` to one :class:`Grantee`: a user (by id), everyone
(``AllUsers``, signed in or not) or every signed-in user (``AuthenticatedUsers``).
``FULL_CONTROL`` is the other four together. What each permission allows:

========== ======================================= ==============================
permission on a bucket                              on an object
========== ======================================= ==============================
READ       list its objects (and read them: the     read it (GET, HEAD)
           core's rule, objects are readable as
           their bucket is)
WRITE      put and delete objects                   (nothing; S3 ignores it too)
READ_ACP   read the bucket's ACL                    read the object's ACL
WRITE_ACP  replace the bucket's ACL                 replace the object's ACL
========== ======================================= ==============================

A bucket's ACL is kept where the core already states it, so the REST API and the Hub see the
same access (see :func:`split_bucket_grants`): ``AllUsers`` ``READ`` *is* the bucket's public
visibility, and a user granted exactly ``READ``, or exactly ``READ`` and ``WRITE``, *is* a
collaborator with the ``read`` or ``write`` role. Every other grant (a user's
``FULL_CONTROL``, ``WRITE`` alone or either ``*_ACP``, the owner's own grant, anything for
``AuthenticatedUsers``, ``AllUsers`` beyond ``READ``) is stored as given. An object's ACL, its
owner and its grants, is stored with the object, each version of it with that version.

The data (:class:`Permission`, :class:`Grantee`, :class:`Grant`, :class:`Acl`) is in
:mod:`~weighthouse.domain.model`, since objects carry their ACLs; this module holds the rules,
pure decisions the permission service (:mod:`weighthouse.domain.access`) asks:
:func:`granted` and :func:`permits`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from weighthouse.domain.errors import InvalidAclError
from weighthouse.domain.model import ACL_FOUR as _ALL_FOUR
from weighthouse.domain.model import Acl as Acl
from weighthouse.domain.model import Grant as Grant
from weighthouse.domain.model import Grantee as Grantee
from weighthouse.domain.model import GranteeKind as GranteeKind
from weighthouse.domain.model import Permission as Permission
from weighthouse.domain.model import Role

MAX_GRANTS = 100
"""The most grants one ACL may hold (S3's limit)."""

BUCKET_ACL = "acl"
"""The name of a bucket's stored grants among its configurations."""


ALL_USERS = Grantee(GranteeKind.ALL_USERS)
AUTHENTICATED_USERS = Grantee(GranteeKind.AUTHENTICATED_USERS)


CANNED = (
    "private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read",
    "bucket-owner-full-control",
)  # fmt: skip
"""The canned ACLs stated here; S3's ``aws-exec-read`` and ``log-delivery-write`` name AWS
services this server does not have."""


def canned(name: str, owner_id: str, bucket_owner_id: str | None = None) -> tuple[Grant, ...]:
    """The grants of canned ACL ``name`` for a resource owned by ``owner_id``. The two
    ``bucket-owner-*`` ACLs also grant the owner of the object's bucket (``bucket_owner_id``)
    when that is another account, and are ``private`` on a bucket, as S3 has them. Raises
    ``InvalidAclError`` for a name not in :data:`CANNED`."""
    owner = Grant(Grantee.user(owner_id), Permission.FULL_CONTROL)
    other_owner = bucket_owner_id is not None and bucket_owner_id != owner_id
    if name == "private":
        return (owner,)
    if name == "public-read":
        return (Grant(ALL_USERS, Permission.READ), owner)
    if name == "public-read-write":
        return (Grant(ALL_USERS, Permission.READ), Grant(ALL_USERS, Permission.WRITE), owner)
    if name == "authenticated-read":
        return (Grant(AUTHENTICATED_USERS, Permission.READ), owner)
    if name in ("bucket-owner-read", "bucket-owner-full-control"):
        if not other_owner:
            return (owner,)
        assert bucket_owner_id is not None
        given = Permission.READ if name == "bucket-owner-read" else Permission.FULL_CONTROL
        return (owner, Grant(Grantee.user(bucket_owner_id), given))
    raise InvalidAclError(f"{name[:40]!r} is not a canned ACL this server states")


@dataclass(frozen=True)
class AclRequest:
    """The ACL a write asks for: a canned ACL's name, or explicit grants."""

    canned: str | None = None
    grants: tuple[Grant, ...] = ()

    def resolve(self, owner_id: str, bucket_owner_id: str | None = None) -> tuple[Grant, ...]:
        """The grants asked for, for a resource owned by ``owner_id`` (see :func:`canned`)."""
        if self.canned is None:
            return check_grants(self.grants)
        return canned(self.canned, owner_id, bucket_owner_id)


def check_grants(grants: Iterable[Grant]) -> tuple[Grant, ...]:
    """The grants as a tuple; ``InvalidAclError`` past :data:`MAX_GRANTS`."""
    checked = tuple(grants)
    if len(checked) > MAX_GRANTS:
        raise InvalidAclError(f"an ACL holds at most {MAX_GRANTS} grants, not {len(checked)}")
    return checked


def granted(
    grants: Iterable[Grant], *, user_id: str | None, signed_in: bool
) -> frozenset[Permission]:
    """The permissions ``grants`` give a caller: the user ``user_id`` (``None`` for an
    anonymous caller), who counts as ``AuthenticatedUsers`` when ``signed_in``."""
    found: set[Permission] = set()
    for grant in grants:
        kind = grant.grantee.kind
        if (
            kind is GranteeKind.ALL_USERS
            or (kind is GranteeKind.AUTHENTICATED_USERS and signed_in)
            or (kind is GranteeKind.USER and user_id is not None and grant.grantee.id == user_id)
        ):
            found |= grant.permission.expanded()
    return frozenset(found)


def permits(permissions: frozenset[Permission], need: Permission) -> bool:
    return need in permissions or (need is Permission.FULL_CONTROL and permissions >= _ALL_FOUR)


def role_permission(need: Role) -> Permission | None:
    """The permission on a bucket that stands for a core role where one does: ``read`` is
    ``READ`` and ``write`` is ``WRITE``. No grant gives ``admin`` (deleting the bucket,
    its settings), which stays with the owner."""
    return {Role.READ: Permission.READ, Role.WRITE: Permission.WRITE}.get(need)


def role_permissions(role: Role | None) -> frozenset[Permission]:
    """The permissions a core role holds on a bucket: ``admin`` all four, ``write`` READ and
    WRITE, ``read`` READ."""
    if role is None:
        return frozenset()
    return frozenset().union(*(p.expanded() for p in ROLE_GRANTS[role]))


ROLE_GRANTS: dict[Role, tuple[Permission, ...]] = {
    Role.READ: (Permission.READ,),
    Role.WRITE: (Permission.READ, Permission.WRITE),
    Role.ADMIN: (Permission.FULL_CONTROL,),
}
"""The grants a collaborator's role states on a bucket (``admin`` gives more than
``FULL_CONTROL``, which is all an ACL can say of it)."""


@dataclass(frozen=True)
class BucketGrants:
    """A bucket ACL split into what the core holds (visibility, collaborator roles) and the
    grants stored as given."""

    public: bool
    roles: dict[str, Role]
    stored: tuple[Grant, ...]


def split_bucket_grants(grants: Sequence[Grant], owner_id: str) -> BucketGrants:
    """Where each grant of a bucket ACL is kept (see the module docstring)."""
    by_user: dict[str, list[Permission]] = {}
    for grant in grants:
        if grant.grantee.kind is GranteeKind.USER and grant.grantee.id != owner_id:
            by_user.setdefault(grant.grantee.id, []).append(grant.permission)
    roles: dict[str, Role] = {}
    for user_id, permissions in by_user.items():
        for role in (Role.READ, Role.WRITE):
            if sorted(permissions) == sorted(ROLE_GRANTS[role]):
                roles[user_id] = role
    public = any(
        g.grantee.kind is GranteeKind.ALL_USERS
        and g.permission in (Permission.READ, Permission.FULL_CONTROL)
        for g in grants
    )
    stored = tuple(
        g
        for g in grants
        if not (g.grantee.kind is GranteeKind.USER and g.grantee.id in roles)
        and not (g.grantee.kind is GranteeKind.ALL_USERS and g.permission is Permission.READ)
    )
    return BucketGrants(public=public, roles=roles, stored=stored)


def enforced_stored(stored: Iterable[Grant]) -> tuple[Grant, ...]:
    """The stored grants of a bucket as enforced: ``AllUsers`` ``READ`` is the bucket's
    visibility alone, so a stored ``FULL_CONTROL`` for everyone gives the other three."""
    enforced: list[Grant] = []
    for grant in stored:
        if grant.grantee.kind is GranteeKind.ALL_USERS and grant.permission in (
            Permission.FULL_CONTROL,
            Permission.READ,
        ):
            enforced.extend(
                Grant(ALL_USERS, p)
                for p in (Permission.WRITE, Permission.READ_ACP, Permission.WRITE_ACP)
                if grant.permission is Permission.FULL_CONTROL
            )
            continue
        enforced.append(grant)
    return tuple(enforced)


def grants_document(grants: Iterable[Grant]) -> list[list[str]]:
    """Grants as stored: ``[kind, id, permission]`` each."""
    return [[g.grantee.kind.value, g.grantee.id, g.permission.value] for g in grants]


def grants_from(document: Any) -> tuple[Grant, ...]:
    """Grants read back from :func:`grants_document`'s form."""
    return tuple(
        Grant(Grantee(GranteeKind(str(kind)), str(grantee_id)), Permission(str(permission)))
        for kind, grantee_id, permission in document
    )


def acl_document(acl: Acl) -> dict[str, Any]:
    return {"owner": acl.owner_id, "grants": grants_document(acl.grants)}


def acl_from(document: Any) -> Acl:
    return Acl(owner_id=str(document["owner"]), grants=grants_from(document["grants"]))


def parse_permission(text: str) -> Permission:
    """``InvalidAclError`` for a name S3 does not define."""
    try:
        return Permission(text.strip())
    except ValueError:
        raise InvalidAclError(f"{text[:40]!r} is not a permission") from None
