"""The one permission service. Every front-end asks here; none decides access on its own.

A caller's **role** on a repo is the best of:

* ``admin`` on repos in the caller's own user namespace;
* the caller's role in the organisation that owns the namespace;
* the caller's role as a collaborator on that repo;
* ``read`` on any public repo (for everyone, signed in or not);
* ``admin`` everywhere for a site admin using an ``admin``-scoped credential.

Then the credential narrows it: a ``read``-scoped credential only reads, and a token restricted
to some namespaces or repos has no more than public ``read`` elsewhere.

A **gated** repo (``Repo.gated`` not ``off``) keeps its listings and info readable, but its
files (:func:`require_files`) are only for callers with a role of their own on it (owner,
member, collaborator, site admin) or an accepted access request.

A bucket's **policy** (:mod:`~weighthouse.domain.bucket_policy`) is asked first for a request
that says what it does (:attr:`Principal.request`): a Deny that applies refuses it whatever
the role (except the owner's reading, setting and removing of the policy itself), an Allow
grants what the credential's scope permits short of the bucket's settings, otherwise the role
decides (:func:`require_bucket_access`).

A **bucket** may also grant S3's permissions by its access control list
(:mod:`weighthouse.domain.acls`): where the role falls short, :func:`require_repo` asks the
bucket's stored grants, and :func:`require_bucket_permission` decides the permissions no role
names (reading and replacing the ACL). The owner's ``admin`` role holds every permission.

A repo on which the caller has no role (nor any grant) does not exist for them
(``RepoNotFoundError``, never a 403), so private repos do not leak; a bucket whose policy
allows them something exists for them. Lacking a higher role is ``AuthenticationError``
(401) for anonymous callers and ``PermissionDeniedError`` (403) for everyone else.
Memberships are read at every check, so removing a member takes effect on the next request,
tokens included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NoReturn, Protocol

from weighthouse.domain import acls
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.bucket_policy import (
    POLICY,
    PolicyRequest,
    Verdict,
    s3_bucket_name,
    stored_policy,
)
from weighthouse.domain.catalog import (
    AccessRequestCatalog,
    GrantCatalog,
    OrganizationCatalog,
    UserCatalog,
)
from weighthouse.domain.errors import (
    AuthenticationError,
    EntryNotFoundError,
    GatedRepoError,
    GatedRepoSignInError,
    OrganizationNotFoundError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import (
    AccessRequestStatus,
    BucketObject,
    Gating,
    Repo,
    RepoType,
    Role,
    Scope,
    User,
)
from weighthouse.domain.policy_actions import POLICY_ACTIONS


class NamespaceCatalog(GrantCatalog, OrganizationCatalog, UserCatalog, Protocol):
    """What :func:`require_namespace_role` reads: memberships, and for site admins whether an
    organisation or a user has the name."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with what credential. ``user`` is ``None`` for anonymous callers."""

    user: User | None = None
    scope: Scope = Scope.READ
    token_id: str | None = None
    session_id: str | None = None
    restrict_to: tuple[str, ...] = ()
    access_key_id: str | None = None
    expires_at: datetime | None = field(default=None, compare=False)
    """When the credential stops working by itself (a token's or session's expiry), if ever;
    a revocation can end it sooner."""
    request: PolicyRequest | None = field(default=None, compare=False)
    """What the call asks of a bucket in a bucket policy's terms, when the front-end said;
    without it a bucket's policy is applied as :func:`require_bucket_access` says."""

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    @property
    def is_admin(self) -> bool:
        """A site admin using an admin-scoped credential."""
        return self.user is not None and self.user.is_admin and self.scope is Scope.ADMIN

    @property
    def viewer_id(self) -> str | None:
        return self.user.id if self.user else None

    def reaches(self, namespace: str, name: str | None = None) -> bool:
        """Whether a token restriction lets this credential act on the namespace or repo."""
        if not self.restrict_to:
            return True
        return namespace in self.restrict_to or (
            name is not None and f"{namespace}/{name}" in self.restrict_to
        )


ANONYMOUS = Principal()


def repo_role(grants: GrantCatalog, principal: Principal, repo: Repo) -> Role | None:
    """The caller's effective role on ``repo``; ``None`` means the repo is invisible to them."""
    public = None if repo.private else Role.READ
    user = principal.user
    if user is None or not principal.reaches(repo.namespace, repo.name):
        return public
    if principal.is_admin or repo.namespace == user.name:
        role: Role | None = Role.ADMIN
    else:
        role = _best(
            grants.member_role(repo.namespace, user.id),
            grants.collaborator_role(repo.id, user.id),
            public,
        )
    return role.capped(principal.scope) if role is not None else None


def _best(*roles: Role | None) -> Role | None:
    found = [r for r in roles if r is not None]
    if not found:
        return None
    return max(found, key=lambda r: (Role.READ, Role.WRITE, Role.ADMIN).index(r))


def require_repo(grants: GrantCatalog, principal: Principal, repo: Repo, need: Role) -> Role:
    """Raise 404, 401 or 403 as the module docstring says; return the caller's role (on a
    bucket whose ACL grants what the role lacks, ``need``)."""
    role = repo_role(grants, principal, repo)
    if role is None or not role.allows(need):
        granted = bucket_acl_permissions(grants, principal, repo)
        permission = acls.role_permission(need)
        if permission is not None and acls.permits(granted, permission):
            return need
        if role is None and not granted:
            raise RepoNotFoundError.named(repo.full_name)
        _deny(principal, repo, need.value)
    assert role is not None
    return role


class BucketAccessCatalog(GrantCatalog, BucketConfigurationCatalog, Protocol):
    """What :func:`require_bucket_access` reads: grants, the bucket's policy, and an object's
    tags when a policy's condition asks for them."""

    def get_object(self, repo_id: str, key: str) -> BucketObject: ...


# What a call that did not say what it does might be, by the role it needs.
_ACTIONS_BY_ROLE = {
    Role.READ: ("s3:getobject", "s3:listbucket"),
    Role.WRITE: ("s3:putobject", "s3:deleteobject"),
    Role.ADMIN: ("s3:deletebucket", "s3:putbucketacl"),
}


def require_bucket_access(
    catalog: BucketAccessCatalog,
    principal: Principal,
    repo: Repo,
    need: Role,
    *,
    tags: Callable[[], Mapping[str, str]] | None = None,
    otherwise: Callable[[], Role] | None = None,
) -> Role:
    """:func:`require_repo` for a bucket, with its policy. A policy Deny is
    ``PermissionDeniedError`` (``RepoNotFoundError`` for a caller who could not see the
    bucket otherwise); an Allow grants ``need`` as far as the credential's scope does, but
    never ``admin``: the bucket's settings (its policy, CORS, tags, visibility, deletion) stay
    with its owner and admins, whatever a policy says. A call
    without :attr:`Principal.request` is refused when a Deny naming the caller could apply to
    what its ``need`` allows, whatever its conditions, and gets nothing from an Allow.
    ``tags`` gives the object's tags if a condition asks (read from the catalog otherwise).
    ``otherwise`` decides what the policy leaves open (:func:`require_repo` by default)."""
    decide = otherwise or (lambda: require_repo(catalog, principal, repo, need))
    document = catalog.get_bucket_configuration(
        repo.id, POLICY, revision=repo.configuration_revision
    )
    if document is None:
        return decide()
    policy = stored_policy(document)
    role = repo_role(catalog, principal, repo)
    user = principal.user
    signed = user is not None and principal.reaches(repo.namespace, repo.name)
    caller = frozenset({user.id}) if signed and user is not None else frozenset[str]()
    request = principal.request
    if request is None:
        verdict = (
            Verdict.DENY if policy.might_deny(_ACTIONS_BY_ROLE[need], caller) else Verdict.NONE
        )
    elif request.action.lower() in POLICY_ACTIONS and role is Role.ADMIN:
        verdict = Verdict.NONE
    else:
        key = request.key
        verdict = policy.decide(
            request,
            s3_bucket_name(repo.namespace, repo.name),
            caller,
            tags or (lambda: _object_tags(catalog, repo.id, key)),
        )
    if verdict is Verdict.DENY:
        seen = role is not None or policy.names(caller)
        if not seen and not bucket_acl_permissions(catalog, principal, repo):
            raise RepoNotFoundError.named(repo.full_name)
        raise PermissionDeniedError("Access Denied by the bucket's policy", repo=repo.full_name)
    if (
        verdict is Verdict.ALLOW
        and need is not Role.ADMIN
        and need.capped(principal.scope).allows(need)
    ):
        return role if role is not None and role.allows(need) else need
    try:
        return decide()
    except RepoNotFoundError:
        if not policy.names(caller):
            raise
        # An Allow shows them the bucket: what it does not grant is refused, not hidden.
        raise PermissionDeniedError(
            f"Access Denied to {repo.full_name!r}", repo=repo.full_name
        ) from None


def _object_tags(catalog: BucketAccessCatalog, repo_id: str, key: str | None) -> Mapping[str, str]:
    if key is None:
        return {}
    try:
        return catalog.get_object(repo_id, key).tags
    except EntryNotFoundError:
        return {}


def _deny(principal: Principal, repo: Repo, what: str) -> NoReturn:
    if principal.user is None:
        raise AuthenticationError("this needs a token: send 'Authorization: Bearer <token>'")
    if principal.scope is Scope.READ:
        raise PermissionDeniedError("this credential is read-only", scope="read")
    raise PermissionDeniedError(
        f"this needs the {what} role on {repo.full_name!r}", repo=repo.full_name
    )


def bucket_acl_permissions(
    grants: GrantCatalog, principal: Principal, repo: Repo
) -> frozenset[acls.Permission]:
    """What the stored grants of a bucket's ACL give the caller beyond their role (see
    :mod:`weighthouse.domain.acls`): nothing for other repos. A token restricted elsewhere
    counts as anonymous, and a read-scoped credential only reads."""
    if repo.type is not RepoType.BUCKET:
        return frozenset()
    document = grants.get_bucket_configuration(
        repo.id, acls.BUCKET_ACL, revision=repo.configuration_revision
    )
    if document is None:
        return frozenset()
    user = principal.user
    if user is not None and not principal.reaches(repo.namespace, repo.name):
        user = None
    found = acls.granted(
        acls.enforced_stored(acls.grants_from(document["grants"])),
        user_id=user.id if user else None,
        signed_in=user is not None,
    )
    if user is not None and principal.scope is Scope.READ:
        found &= {acls.Permission.READ, acls.Permission.READ_ACP}
    return found


def require_bucket_permission(
    catalog: BucketAccessCatalog, principal: Principal, repo: Repo, need: acls.Permission
) -> None:
    """The caller holds ``need`` on the bucket ``repo``: its policy allows the request, or
    (when the policy says nothing) their role (``admin``, which the owner always has, holds
    all four, ``write`` READ and WRITE, ``read`` READ) or the bucket's ACL gives it.
    ``RepoNotFoundError`` when they hold nothing on it; else 401 or 403."""

    def by_grants() -> Role:
        role = repo_role(catalog, principal, repo)
        held = acls.role_permissions(role) | bucket_acl_permissions(catalog, principal, repo)
        if not acls.permits(held, need):
            if not held:
                raise RepoNotFoundError.named(repo.full_name)
            _deny(principal, repo, need.value)
        return Role.ADMIN

    require_bucket_access(catalog, principal, repo, Role.ADMIN, otherwise=by_grants)


def object_acl_permissions(
    principal: Principal, repo: Repo, acl: acls.Acl
) -> frozenset[acls.Permission]:
    """What an object's own ACL gives the caller: its grants, and all four to its owner;
    narrowed by the credential as :func:`bucket_acl_permissions` is."""
    user = principal.user
    if user is not None and not principal.reaches(repo.namespace, repo.name):
        user = None
    found = acls.granted(acl.grants, user_id=user.id if user else None, signed_in=user is not None)
    if user is not None and user.id == acl.owner_id:
        found = acls.role_permissions(Role.ADMIN)
    if user is not None and principal.scope is Scope.READ:
        found &= {acls.Permission.READ, acls.Permission.READ_ACP}
    return found


def require_object_permission(
    catalog: BucketAccessCatalog,
    principal: Principal,
    repo: Repo,
    acl: acls.Acl | None,
    need: acls.Permission,
    *,
    tags: Callable[[], Mapping[str, str]] | None = None,
) -> None:
    """The caller holds ``need`` on an object of the bucket ``repo`` whose ACL is ``acl``
    (``None``: the default, its bucket owner's). The bucket's policy decides first. Then
    objects are readable as their bucket is, and whoever may write to the bucket by role (its
    owner, members, collaborators) holds ``READ_ACP`` and ``WRITE_ACP`` on each; the object's
    owner and its grants add theirs. ``RepoNotFoundError`` when the caller holds nothing on
    the bucket nor the object."""

    def by_grants() -> Role:
        role = repo_role(catalog, principal, repo)
        on_bucket = acls.role_permissions(role) | bucket_acl_permissions(catalog, principal, repo)
        held: set[acls.Permission] = set()
        if acls.Permission.READ in on_bucket:
            held.add(acls.Permission.READ)
        if role is not None and role.allows(Role.WRITE):
            held |= {acls.Permission.READ_ACP, acls.Permission.WRITE_ACP}
        if acl is not None:
            held |= object_acl_permissions(principal, repo, acl)
        if not acls.permits(frozenset(held), need):
            if not held and not on_bucket:
                raise RepoNotFoundError.named(repo.full_name)
            _deny(principal, repo, need.value)
        return Role.READ

    # To a policy, reading an object or its ACL is reading; changing its ACL is writing (an
    # object's ACL is not one of the bucket's settings, which no Allow hands over).
    reads = need in (acls.Permission.READ, acls.Permission.READ_ACP)
    policy_need = Role.READ if reads else Role.WRITE
    require_bucket_access(catalog, principal, repo, policy_need, tags=tags, otherwise=by_grants)


class GateCatalog(GrantCatalog, AccessRequestCatalog, Protocol):
    """What :func:`require_files` reads: grants, and the caller's access request."""


def require_files(catalog: GateCatalog, principal: Principal, repo: Repo) -> None:
    """The caller, who may already read ``repo`` (:func:`require_repo`), may read its files.

    Raises ``GatedRepoSignInError`` (anonymous) or ``GatedRepoError`` on a gated repo when the
    caller has neither a role of their own on it nor an accepted access request. Public
    ``read`` does not count: it is what the gate stands in front of.
    """
    if repo.gated is Gating.OFF:
        return
    if repo_role(catalog, principal, replace(repo, private=True)) is not None:
        return
    kind = repo.type.value
    if principal.user is None:
        raise GatedRepoSignInError(
            f"access to {kind} {repo.full_name!r} is restricted: sign in and ask for access",
            repo=repo.full_name,
        )
    request = catalog.access_request(repo.id, principal.user.id)
    if request is None or request.status is not AccessRequestStatus.ACCEPTED:
        state = "no access request" if request is None else f"an access request {request.status}"
        raise GatedRepoError(
            f"access to {kind} {repo.full_name!r} is restricted and {principal.user.name!r} has"
            f" {state}",
            repo=repo.full_name,
        )


def may_read_files(catalog: GateCatalog, principal: Principal, repo: Repo) -> bool:
    """Whether the caller may read the files of ``repo``: they can see it and its gate, if
    any, lets them through (:func:`require_files`)."""
    if repo_role(catalog, principal, repo) is None:
        return False
    try:
        require_files(catalog, principal, repo)
    except GatedRepoError:
        return False
    return True


def require_namespace_role(
    catalog: NamespaceCatalog, principal: Principal, namespace: str, need: Role = Role.WRITE
) -> None:
    """The caller may act on ``namespace`` with ``need`` (e.g. create repos there).

    Raises ``UserNotFoundError`` when no user or organisation has that name (for site admins;
    others get 403, so namespaces cannot be probed).
    """
    user = require_user(principal)
    if principal.scope is Scope.READ:
        raise PermissionDeniedError("this credential is read-only", scope="read")
    if not principal.reaches(namespace):
        raise PermissionDeniedError(f"this token is not valid for {namespace!r}")
    if namespace == user.name:
        return
    role = catalog.member_role(namespace, user.id)
    if role is not None and role.allows(need):
        return
    if principal.is_admin:
        if role is not None:
            return
        try:
            catalog.get_org(namespace)
        except OrganizationNotFoundError:
            catalog.get_user(namespace)
        return
    raise PermissionDeniedError(
        f"{user.name!r} may not act in namespace {namespace!r}", namespace=namespace
    )


def require_admin(principal: Principal) -> User:
    """The caller is a site admin using an ``admin``-scoped credential."""
    user = require_user(principal)
    if not principal.is_admin:
        raise PermissionDeniedError("this needs a site admin with an admin-scoped credential")
    return user


def require_user(principal: Principal) -> User:
    """The signed-in user; raise ``AuthenticationError`` for anonymous callers."""
    if principal.user is None:
        raise AuthenticationError("this needs a token: send 'Authorization: Bearer <token>'")
    return principal.user


def require_writing_user(principal: Principal) -> User:
    """The signed-in user, acting through a credential that may change things: a read-scoped
    token only reads, so it may not queue or cancel work either."""
    user = require_user(principal)
    if principal.scope is Scope.READ:
        raise PermissionDeniedError("this credential is read-only", scope="read")
    return user


GET_RETENTION = "s3:GetObjectRetention"
GET_LEGAL_HOLD = "s3:GetObjectLegalHold"


def require_object_lock_read(
    catalog: BucketAccessCatalog, principal: Principal, repo: Repo, key: str, action: str
) -> None:
    """The caller may read the retention (``action`` :data:`GET_RETENTION`) or the legal
    hold (:data:`GET_LEGAL_HOLD`) of the object ``key`` of the bucket ``repo``. S3 grants
    these only by that permission, never by an ACL: the bucket's policy decides first (an
    Allow grants it as far as the credential reads), then a role of the caller's own on the
    bucket (its owner, members and collaborators), not the public read of a public bucket
    nor an ACL's grants. ``RepoNotFoundError`` for a caller who cannot see the bucket, else
    401 or 403."""
    base = principal.request or PolicyRequest(action)
    asking = replace(principal, request=base.for_object(action, key))

    def by_own_role() -> Role:
        role = repo_role(catalog, principal, replace(repo, private=True))
        if role is not None:
            return role
        if repo_role(catalog, principal, repo) is None and not bucket_acl_permissions(
            catalog, principal, repo
        ):
            raise RepoNotFoundError.named(repo.full_name)
        _deny(principal, repo, Role.READ.value)

    require_bucket_access(catalog, asking, repo, Role.READ, otherwise=by_own_role)


def may_read_object_lock(
    catalog: BucketAccessCatalog, principal: Principal, repo: Repo, key: str, action: str
) -> bool:
    """Whether :func:`require_object_lock_read` lets the caller through."""
    try:
        require_object_lock_read(catalog, principal, repo, key, action)
    except (AuthenticationError, PermissionDeniedError, RepoNotFoundError):
        return False
    return True


BYPASS_GOVERNANCE = "s3:BypassGovernanceRetention"


def may_bypass_governance(
    catalog: BucketAccessCatalog, principal: Principal, repo: Repo, key: str
) -> bool:
    """Whether the caller may bypass a governance retention of an object of the bucket
    ``repo`` (S3's ``s3:BypassGovernanceRetention``): the bucket's owner and admins may, and
    whoever its policy allows that action; a policy Deny of it refuses everyone. Only callers
    who may write to the bucket get here."""
    if principal.user is None:
        return False
    role = repo_role(catalog, principal, repo)
    document = catalog.get_bucket_configuration(repo.id, POLICY)
    if document is not None:
        policy = stored_policy(document)
        user = principal.user
        caller = (
            frozenset({user.id})
            if principal.reaches(repo.namespace, repo.name)
            else frozenset[str]()
        )
        base = principal.request or PolicyRequest(BYPASS_GOVERNANCE)
        verdict = policy.decide(
            base.for_object(BYPASS_GOVERNANCE, key),
            s3_bucket_name(repo.namespace, repo.name),
            caller,
            lambda: _object_tags(catalog, repo.id, key),
        )
        if verdict is Verdict.DENY:
            return False
        if verdict is Verdict.ALLOW and Role.WRITE.capped(principal.scope).allows(Role.WRITE):
            return True
    return role is Role.ADMIN
