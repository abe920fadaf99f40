"""The composition root: Settings in, a wired :class:`Container` out.

Only this module (and ``asgi``) imports both the domain and the adapters. Tests pass their own
catalog, blob store or clock to :func:`bootstrap` to swap a port.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from weighthouse.config import ConfigError, Settings
from weighthouse.domain.access_keys import AccessKeys
from weighthouse.domain.access_lists import AccessLists
from weighthouse.domain.audit import Audit
from weighthouse.domain.authentication import Authenticator
from weighthouse.domain.blob_proof import BlobProof
from weighthouse.domain.bucket_configurations import BucketConfigurations
from weighthouse.domain.buckets import Buckets
from weighthouse.domain.changes import Changes
from weighthouse.domain.commits import Commits
from weighthouse.domain.discussions import Discussions
from weighthouse.domain.duplicates import Duplicates
from weighthouse.domain.encryption import ObjectEncryption
from weighthouse.domain.file_findings import Findings
from weighthouse.domain.files import Files
from weighthouse.domain.gating import AccessRequests
from weighthouse.domain.job_notices import JobNotices, NoticeSender
from weighthouse.domain.job_runs import JobRuns
from weighthouse.domain.jobs import Jobs
from weighthouse.domain.lifecycle_runs import LifecycleRuns
from weighthouse.domain.likes import Likes
from weighthouse.domain.maintenance import Maintenance
from weighthouse.domain.multipart import MultipartUploads
from weighthouse.domain.object_locks import ObjectLocks
from weighthouse.domain.orgs import Organizations
from weighthouse.domain.ports import (
    BlobStore,
    Catalog,
    Clock,
    JobDispatch,
    ObjectCipher,
    PasswordHasher,
    RateLimiter,
    SecretCipher,
    SessionSigner,
)
from weighthouse.domain.principal_cache import PrincipalCache, SharedPrincipals
from weighthouse.domain.push_jobs import PushJobs
from weighthouse.domain.repos import Repos
from weighthouse.domain.revisions import Revisions
from weighthouse.domain.sessions import Sessions
from weighthouse.domain.signin import AuthPolicy, PasswordGate
from weighthouse.domain.signing_keys import SigningKeyCache
from weighthouse.domain.space import DiskRoom, NoDiskRoom
from weighthouse.domain.tokens import IssuedToken, Tokens
from weighthouse.domain.upload_receipts import UploadReceipts
from weighthouse.domain.upload_tickets import UploadTickets
from weighthouse.domain.users import Users
from weighthouse.domain.xorbs import Xorbs
from weighthouse.frontends.transfer_slots import TransferSlots
from weighthouse.jobs.registry import load_apps, spec_of

if TYPE_CHECKING:
    from weighthouse.apps.contract import App
    from weighthouse.jobs.pool import WorkerPool
    from weighthouse.jobs.redis_engine import RedisWorkerPool
    from weighthouse.security.outbound import OutboundRules


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """Every use case, wired to the same ports."""

    settings: Settings
    catalog: Catalog
    blobs: BlobStore
    clock: Clock
    audit: Audit
    blob_proof: BlobProof
    authenticator: PrincipalCache
    users: Users
    sessions: Sessions
    tokens: Tokens
    access_keys: AccessKeys
    orgs: Organizations
    repos: Repos
    revisions: Revisions
    duplicates: Duplicates
    commits: Commits
    files: Files
    changes: Changes
    access_requests: AccessRequests
    discussions: Discussions
    likes: Likes
    buckets: Buckets
    bucket_configurations: BucketConfigurations
    object_locks: ObjectLocks
    access_lists: AccessLists
    multipart: MultipartUploads
    maintenance: Maintenance
    lifecycle: LifecycleRuns
    upload_tickets: UploadTickets
    xorbs: Xorbs
    upload_receipts: UploadReceipts
    jobs: Jobs
    job_runs: JobRuns
    job_notices: JobNotices
    findings: Findings
    apps: dict[str, App]
    job_dispatch: JobDispatch
    # One count of uploads in flight per process, shared by the HTTP and gRPC front-ends:
    # a caller's share holds across protocols.
    transfer_slots: TransferSlots
    _closers: list[Callable[[], None]] = field(default_factory=list)
    room: DiskRoom = field(default_factory=NoDiskRoom)
    loop_reads: bool = False
    """Whether a front-end may make a short catalog and blob read on its event loop: the
    setting allows it and neither the catalog nor the blob store waits on a network."""
    loop_writes: int = 0
    """The largest object (bytes) a front-end may store from its event loop
    (:func:`~weighthouse.on_loop.run_on_loop`): the setting allows it, the catalog's reads are
    local and its object writes and the blob store's commits of blobs this small are awaited
    there. 0: none."""

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def bootstrap(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    blobs: BlobStore | None = None,
    clock: Clock = utc_now,
    migrate: bool = True,
    hasher: PasswordHasher | None = None,
    limiter: RateLimiter | None = None,
    signer: SessionSigner | None = None,
    cipher: SecretCipher | None = None,
    room: DiskRoom | None = None,
) -> Container:
    """Wire the ports named by ``settings`` (or the ones given) into use cases.

    With ``migrate`` the catalog's schema is brought to the newest version first.
    """
    closers: list[Callable[[], None]] = []
    if catalog is None:
        catalog = create_catalog(settings, migrate=migrate, closers=closers)
    if blobs is None:
        blobs = create_blob_store(settings)
    audit = Audit(catalog, clock)
    proof = BlobProof(catalog, blobs, clock, grace=timedelta(seconds=settings.gc_grace_seconds))
    gate = PasswordGate(
        catalog,
        hasher=hasher or create_password_hasher(settings),
        limiter=limiter or create_rate_limiter(settings),
        audit=audit,
        policy=auth_policy(settings),
    )
    signer = signer or create_session_signer(settings)
    cipher = cipher or create_secret_cipher(settings)
    tokens = Tokens(catalog, clock, audit)
    room = room or create_disk_room(settings)
    apps = load_apps(settings.jobs.apps)
    dispatch = create_job_dispatch(settings, closers)
    outbound = create_outbound_rules(settings)
    jobs = Jobs(
        catalog,
        {name: spec_of(app) for name, app in apps.items()},
        clock,
        dispatch,
        outbound=outbound,
        cipher=cipher,
    )
    on_push = PushJobs(jobs, apps) if settings.jobs.on_push else None
    commits = Commits(catalog, blobs, clock, proof, room=room, on_commit=on_push)
    files = Files(catalog, blobs)
    encryption = ObjectEncryption(create_object_cipher(), cipher)
    return Container(
        settings=settings,
        transfer_slots=TransferSlots(
            per_account=settings.server.transfers_per_account,
            per_client=settings.server.transfers_per_client,
        ),
        catalog=catalog,
        blobs=blobs,
        clock=clock,
        audit=audit,
        blob_proof=proof,
        authenticator=PrincipalCache(
            Authenticator(
                catalog,
                clock,
                signer=signer,
                gate=gate,
                cipher=cipher,
                signing_keys=SigningKeyCache(
                    catalog,
                    clock,
                    lifetime=timedelta(seconds=settings.auth.principal_cache_seconds),
                ),
            ),
            catalog,
            clock,
            signer=signer,
            lifetime=timedelta(seconds=settings.auth.principal_cache_seconds),
            shared=create_shared_principals(settings, closers),
        ),
        users=Users(catalog, clock, gate=gate, tokens=tokens, audit=audit),
        sessions=Sessions(catalog, clock, gate=gate, signer=signer, audit=audit),
        tokens=tokens,
        access_keys=AccessKeys(catalog, clock, cipher=cipher, audit=audit),
        orgs=Organizations(catalog, clock, audit),
        repos=Repos(
            catalog, clock, audit, default_private=settings.repos.default_private, room=room
        ),
        revisions=Revisions(catalog, clock, audit, room=room),
        duplicates=Duplicates(catalog, clock, audit),
        commits=commits,
        files=files,
        findings=Findings(catalog, files),
        changes=Changes(catalog),
        access_requests=AccessRequests(catalog, clock, audit),
        discussions=Discussions(catalog, commits, clock),
        likes=Likes(catalog, clock),
        buckets=Buckets(catalog, blobs, clock, room=room, encryption=encryption),
        bucket_configurations=BucketConfigurations(catalog),
        object_locks=ObjectLocks(catalog, clock),
        access_lists=AccessLists(catalog, clock, audit),
        multipart=MultipartUploads(
            catalog,
            blobs,
            clock,
            max_object_bytes=settings.max_upload_bytes,
            room=room,
            encryption=encryption,
        ),
        maintenance=Maintenance(catalog, blobs, clock),
        lifecycle=LifecycleRuns(catalog, clock, audit),
        upload_tickets=UploadTickets(catalog, clock, signer),
        xorbs=Xorbs(catalog, blobs, clock, grace=timedelta(seconds=settings.gc_grace_seconds)),
        # A receipt lasts as long as the upload proves the blob (the gc grace period).
        upload_receipts=UploadReceipts(
            clock, signer, lifetime=timedelta(seconds=settings.gc_grace_seconds)
        ),
        jobs=jobs,
        job_runs=JobRuns(
            catalog,
            commits,
            clock,
            lease_seconds=settings.jobs.lease_seconds,
            backoff_seconds=settings.jobs.backoff_seconds,
        ),
        job_notices=JobNotices(
            catalog,
            create_notice_sender(settings, outbound),
            cipher,
            clock,
            max_attempts=settings.jobs.notify_attempts,
            backoff_seconds=settings.jobs.notify_backoff_seconds,
            claim_seconds=settings.jobs.notify_timeout_seconds * 3,
        ),
        apps=apps,
        job_dispatch=dispatch,
        _closers=closers,
        room=room,
        loop_reads=settings.server.loop_reads and catalog.local_reads and blobs.local_reads,
        loop_writes=(
            blobs.loop_writes
            if settings.server.loop_writes and catalog.local_reads and catalog.loop_writes
            else 0
        ),
    )


MEMORY_CATALOG_URL = "memory:"
"""The database URL of a catalog in process memory: nothing survives the process, and each
server process has its own. For tests and demonstrations, never for data you want to keep."""


def create_catalog(
    settings: Settings, *, migrate: bool, closers: list[Callable[[], None]]
) -> Catalog:
    """The catalog ``settings.database_url`` names, its schema migrated first with ``migrate``.
    Whatever must be released at shutdown is appended to ``closers``."""
    if settings.database_url == MEMORY_CATALOG_URL:
        from weighthouse.metadata.memory import MemoryCatalog

        return MemoryCatalog()
    from weighthouse.metadata.catalog import SqlCatalog
    from weighthouse.metadata.engine import DatabaseTimeouts, create_engine_for

    if migrate:
        migrate_catalog(settings)
    database = settings.database
    engine = create_engine_for(
        settings.database_url,
        timeouts=DatabaseTimeouts(
            connect=database.connect_timeout_seconds,
            statement=database.statement_timeout_seconds,
            pool=database.pool_timeout_seconds,
        ),
    )
    closers.append(engine.dispose)
    if database.breaker_failures and engine.dialect.name != "sqlite":
        # A file on the local disk does not go silent; a database across the network does.
        from weighthouse.metadata.circuit_breaker import CircuitBreaker
        from weighthouse.metadata.transactions import guard, is_unreachable

        guard(
            engine,
            CircuitBreaker(
                failures=database.breaker_failures,
                cooldown=database.breaker_cooldown_seconds,
                is_unreachable=is_unreachable,
            ),
        )
    return SqlCatalog(engine)


def migrate_catalog(settings: Settings) -> None:
    """Bring the catalog's schema to the newest migration; an in-memory catalog has none."""
    from weighthouse.metadata.migrate import upgrade

    if settings.database_url == MEMORY_CATALOG_URL:
        return
    if settings.database_url.startswith("sqlite:"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def local_blob_root(settings: Settings) -> Path:
    """Where the local driver keeps blobs under ``settings``, read as the driver reads it."""
    from weighthouse.blobs.local import LocalDriverSettings

    section = LocalDriverSettings.model_validate(settings.blobs.section("local"))
    return (section.root or settings.data_dir / "blobs").resolve()


def create_disk_room(settings: Settings) -> DiskRoom:
    """The free-space floor over the data folder (SQLite, rate limits, key rings) and the
    local blob root, and the reserve beside a SQLite catalog."""
    from weighthouse.disk_room import LocalDiskRoom

    places = {"data dir": settings.data_dir.resolve()}
    if settings.blobs.driver == "local":
        places["blob root"] = local_blob_root(settings)
    return LocalDiskRoom(
        places,
        floor=settings.min_free_bytes,
        reserve=settings.reserve_file,
        reserve_bytes=settings.database.reserve_bytes,
    )


def create_blob_store(settings: Settings) -> BlobStore:
    """The blob store on the driver ``settings.blobs.driver`` names, built from its own section.

    Raises :class:`~weighthouse.config.ConfigError` for an unknown driver or a bad section.
    """
    from weighthouse.blobs.checked import CheckedDriver
    from weighthouse.blobs.content import ContentBlobStore
    from weighthouse.blobs.registry import BlobDriverConfigError, DriverContext, DriverRegistry

    name = settings.blobs.driver
    try:
        driver = DriverRegistry().create(
            name, settings.blobs.section(name), DriverContext(data_dir=settings.data_dir.resolve())
        )
    except BlobDriverConfigError as exc:
        raise ConfigError(str(exc)) from None
    return ContentBlobStore(CheckedDriver(driver))


def auth_policy(settings: Settings) -> AuthPolicy:
    auth = settings.auth
    return AuthPolicy(
        signup_enabled=auth.signup,
        session_ttl=timedelta(seconds=auth.session_ttl_seconds),
        signin_per_account=auth.signin_per_account,
        signin_per_client=auth.signin_per_client,
        signin_window=timedelta(seconds=auth.signin_window_seconds),
        signup_per_client=auth.signup_per_client,
    )


def create_password_hasher(settings: Settings) -> PasswordHasher:
    from weighthouse.security.passwords import Argon2PasswordHasher

    auth = settings.auth
    return Argon2PasswordHasher(
        memory_kib=auth.argon2_memory_kib,
        time_cost=auth.argon2_time_cost,
        parallelism=auth.argon2_parallelism,
        max_concurrent=auth.max_concurrent_hashes,
    )


def server_processes(settings: Settings) -> int:
    """How many processes ``weighthouse serve`` runs: the setting, else one per usable core."""
    if settings.server.workers is not None:
        return settings.server.workers
    return usable_cores()


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def create_rate_limiter(settings: Settings) -> RateLimiter:
    from weighthouse.security.ratelimit import MemoryRateLimiter, RedisRateLimiter
    from weighthouse.security.sqlite_ratelimit import SqliteRateLimiter

    # A client's attempts land on any of the server processes, so they must count together:
    # in Redis across hosts, in a file in the data directory across the processes of one host.
    if settings.auth.rate_limit_redis_url:
        return RedisRateLimiter(settings.auth.rate_limit_redis_url)
    if server_processes(settings) > 1:
        return SqliteRateLimiter(settings.rate_limit_file)
    return MemoryRateLimiter()


def create_shared_principals(
    settings: Settings, closers: list[Callable[[], None]]
) -> SharedPrincipals | None:
    """The principal cache's shared level, in Redis when one is configured and the cache is on."""
    if not settings.redis.url or settings.auth.principal_cache_seconds <= 0:
        return None
    from weighthouse.security.redis_principals import RedisPrincipals

    shared = RedisPrincipals(
        settings.redis.url,
        timeout_s=settings.redis.timeout_seconds,
        retry_seconds=settings.redis.retry_seconds,
    )
    closers.append(shared.close)
    return shared


def create_session_signer(settings: Settings) -> SessionSigner:
    from weighthouse.security.sessions import HmacSessionSigner

    signer = HmacSessionSigner(settings.session_key_file)
    signer.keys()  # makes the key ring on the first start rather than at the first sign-in
    return signer


def create_outbound_rules(settings: Settings) -> OutboundRules:
    """Where job callbacks may go: ``jobs.notify_hosts`` and ``jobs.notify_networks``."""
    from weighthouse.security.outbound import OutboundRules

    return OutboundRules(hosts=settings.jobs.notify_hosts, networks=settings.jobs.notify_networks)


def create_notice_sender(settings: Settings, rules: OutboundRules) -> NoticeSender:
    from weighthouse.jobs.notice_sender import HttpNoticeSender

    ca_file = settings.jobs.notify_ca_file
    try:
        return HttpNoticeSender(
            rules, timeout_seconds=settings.jobs.notify_timeout_seconds, ca_file=ca_file
        )
    except OSError as exc:  # ssl.SSLError is one: a file that holds no certificate
        raise ConfigError(f"jobs.notify_ca_file {ca_file}: {exc}") from exc


def create_object_cipher() -> ObjectCipher:
    from weighthouse.security.object_cipher import AesCtrObjectCipher

    return AesCtrObjectCipher()


def create_secret_cipher(settings: Settings) -> SecretCipher:
    from weighthouse.security.cipher import AesGcmSecretCipher

    cipher = AesGcmSecretCipher(settings.secret_key_file)
    cipher.keys()  # makes the key ring on the first start, like the session keys
    return cipher


def start(container: Container) -> IssuedToken | None:
    """What a server does once on start: clear temporaries left by dead writers, and on an
    empty catalog create the first admin. Returns the admin's new token, if one was made."""
    container.blobs.sweep_temporaries(
        container.clock() - timedelta(seconds=container.settings.gc_grace_seconds)
    )
    container.room.restore_reserve()
    preset = container.settings.admin.token
    # Of several servers starting on one catalog, exactly one creates the admin; the others
    # get None (see Users.bootstrap_admin).
    return container.users.bootstrap_admin(
        container.settings.admin.name, preset.get_secret_value() if preset else None
    )


def create_job_dispatch(settings: Settings, closers: list[Callable[[], None]]) -> JobDispatch:
    """How a submit reaches the workers: a hint through the Redis broker, or a wake-up of this
    process's own pool."""
    url = settings.jobs_redis_url
    if settings.jobs.engine == "redis" and url is not None:
        from weighthouse.jobs.redis_engine import RedisDispatch

        dispatch = RedisDispatch(url)
        closers.append(dispatch.close)
        return dispatch
    from weighthouse.jobs.pool import Wakeups

    return Wakeups()


def create_worker_pool(container: Container) -> WorkerPool | RedisWorkerPool:
    """A pool running the container's apps on the engine ``jobs.engine`` names:
    ``jobs.concurrency`` threads per queue, or the queue's own number from
    ``jobs.queue_concurrency``. The caller starts and stops it."""
    from weighthouse.jobs.pool import Wakeups, WorkerPool
    from weighthouse.jobs.runner import JobRunner, RunnerOptions

    settings = container.settings.jobs
    queues: dict[str, int] = {}
    for app in container.apps.values():
        queue = spec_of(app).queue
        queues[queue] = settings.queue_concurrency.get(queue, settings.concurrency)
    options = RunnerOptions(
        lease_seconds=settings.lease_seconds,
        cancel_grace_seconds=settings.cancel_grace_seconds,
        isolation=settings.isolation,
        startup_seconds=settings.startup_seconds,
        app_idle_seconds=settings.app_idle_seconds,
    )
    runner = JobRunner(
        container.job_runs, container.files, container.commits, container.apps, options
    )
    url = container.settings.jobs_redis_url
    if settings.engine == "redis" and url is not None:
        from weighthouse.jobs.redis_engine import RedisWorkerPool

        return RedisWorkerPool(
            container.job_runs,
            runner,
            queues,
            url=url,
            poll_seconds=settings.poll_seconds,
            sweep_seconds=max(0.5, min(settings.lease_seconds / 2, settings.redispatch_seconds)),
            redispatch_seconds=settings.redispatch_seconds,
            notices=container.job_notices.deliver_due,
        )
    wakeups = container.job_dispatch
    return WorkerPool(
        container.job_runs,
        runner,
        queues,
        poll_seconds=settings.poll_seconds,
        recover_seconds=max(1.0, settings.lease_seconds / 2),
        wakeups=wakeups if isinstance(wakeups, Wakeups) else None,
        notices=container.job_notices.deliver_due,
    )
