"""Settings: one object, built once in ``main`` or ``asgi`` and passed in. Nothing reads the
environment at import time; :func:`weighthouse.config_sources.load_settings` builds it.

Every field can be set from the environment as ``WEIGHTHOUSE_<SECTION>__<KEY>``, for example
``WEIGHTHOUSE_DATABASE__URL=postgresql://db/weighthouse`` or ``WEIGHTHOUSE_BLOBS__DRIVER=local``,
and in a TOML file (``--config FILE`` or ``WEIGHTHOUSE_CONFIG``) with one table per section.
Command-line flags beat the environment, which beats the file, which beats the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite at <data_dir>/weighthouse.db",
    )
    reserve_bytes: int = Field(
        default=16 * 2**20,
        ge=0,
        description="room kept beside a SQLite catalog for deletes on a full disk; 0: none",
    )
    connect_timeout_seconds: float = Field(
        default=5.0, ge=2, description="to open a connection to PostgreSQL or MariaDB"
    )
    statement_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="longest a statement (or any wait for the database's answer) may take",
    )
    pool_timeout_seconds: float = Field(
        default=5.0, gt=0, description="longest a request waits for a pooled connection"
    )
    breaker_failures: int = Field(
        default=3,
        ge=0,
        description="consecutive calls PostgreSQL or MariaDB did not answer before calls fail "
        "at once (503) instead of waiting out the timeouts; 0: never",
    )
    breaker_cooldown_seconds: float = Field(
        default=5.0, gt=0, description="how long calls fail at once before one tries again"
    )


class ConfigError(ValueError):
    """The settings name a backend that does not exist, or a backend refuses its section."""


class BlobSettings(BaseModel):
    """The blob driver's name, plus one section of settings per driver, read by that driver:
    ``WEIGHTHOUSE_BLOBS__DRIVER=local`` and ``WEIGHTHOUSE_BLOBS__LOCAL__ROOT=/srv/blobs``.

    ``root`` is the older spelling of ``local.root`` and is still accepted.
    """

    model_config = ConfigDict(extra="allow")

    driver: str = Field(default="local", description="blob driver: local, memory, or a plugin")
    root: Path | None = Field(default=None, description="alias of local.root")

    def section(self, name: str) -> object:
        """The settings section of the driver ``name`` as given (an empty one if absent)."""
        section = (self.model_extra or {}).get(name.lower(), {})
        if name == "local" and self.root is not None and isinstance(section, dict):
            section = {"root": self.root, **section}
        return section


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = Field(
        default=None,
        ge=1,
        description="server processes on one catalog and blob store; default one per CPU core",
    )
    threads: int = Field(
        default=4,
        ge=1,
        description="worker threads for catalog calls; few beat many under the GIL",
    )
    max_transfers: int = Field(
        default=64, ge=1, description="uploads streaming at once, each holding a thread"
    )
    loop_reads: bool = Field(
        default=True,
        description=(
            "serve small object reads on the event loop when the catalog and blob store wait"
            " on no network (SQLite and a local driver); off: always on worker threads"
        ),
    )
    loop_writes: bool = Field(
        default=True,
        description=(
            "store small objects from the event loop, awaiting their group commits, when the"
            " catalog and the blob store commit them in groups (SQLite and a local driver's"
            " small-blob file); off: always from worker threads"
        ),
    )
    transfers_per_account: int = Field(
        default=16, ge=1, description="uploads one account may stream at once (else 429)"
    )
    transfers_per_client: int = Field(
        default=32, ge=1, description="uploads one client address may stream at once (else 429)"
    )
    max_header_bytes: int = Field(
        default=64 * 1024, ge=1024, description="a larger request head gets 431"
    )
    max_header_count: int = Field(
        default=100, ge=10, description="a request with more header fields gets 431"
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="a request head must arrive within this (else 408)"
    )
    body_idle_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="a request body that sends nothing for this long ends as a disconnect",
    )
    max_connections: int = Field(
        default=1000, ge=1, description="open connections per process; beyond, 503 at once"
    )


class S3Settings(BaseModel):
    """The S3 API, served by ``weighthouse serve`` on a port of its own beside the REST API,
    by the same processes on the same catalog and blob store."""

    enabled: bool = Field(default=True, description="serve the S3 API")
    host: str | None = Field(default=None, description="address to bind; default: server.host")
    port: int = Field(default=9000, ge=1, le=65535)
    base_domain: str | None = Field(
        default=None,
        description="virtual-host addressing: <bucket>.<base_domain> names a bucket",
    )
    region: str = Field(default="us-east-1", description="what GetBucketLocation answers")
    tls_cert: Path | None = Field(default=None, description="PEM certificate: serve https")
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert")
    abandoned_upload_seconds: int = Field(
        default=7 * 86400,
        ge=0,
        description="gc removes multipart uploads started longer ago than this, and their parts",
    )
    lifecycle_interval_seconds: float = Field(
        default=3600,
        ge=0,
        description="how often 'weighthouse serve' carries out the buckets' lifecycle rules "
        "(expirations, noncurrent versions, aborted uploads); 0: never (then only "
        "'weighthouse gc --delete' does)",
    )
    complete_keepalive_seconds: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="a multipart completion still working after this long is answered 200 at "
        "once and sent a space this often until its result, so clients' read timeouts (boto3: "
        "60 s) do not expire while gigabytes are assembled",
    )

    @model_validator(mode="after")
    def _tls_pair(self) -> S3Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("s3.tls_cert and s3.tls_key go together: set both or neither")
        return self


class GrpcSettings(BaseModel):
    """The gRPC APIs (the model catalog's ``model_catalog.ModelCatalog`` and
    ``weighthouse.v1.Hub``), served by ``weighthouse serve`` on a port of its own, by the same
    processes as the REST API, always over TLS unless plaintext is asked for on loopback."""

    enabled: bool = Field(default=True, description="serve the gRPC API")
    host: str | None = Field(default=None, description="address to bind; default: server.host")
    port: int = Field(default=50051, ge=1, le=65535)
    tls_cert: Path | None = Field(
        default=None,
        description="PEM certificate chain; default: a self-signed one made on the first "
        "start in <data_dir>/secrets/grpc-cert.pem",
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert")
    plaintext: bool = Field(
        default=False,
        description="serve without TLS when no tls_cert is given; only allowed on a loopback "
        "address",
    )
    threads: int = Field(default=16, ge=1, description="calls handled at once per process")
    max_calls: int = Field(
        default=64, ge=1, description="calls open at once per process; beyond, RESOURCE_EXHAUSTED"
    )
    max_message_bytes: int = Field(
        default=4 * 2**20, ge=64 * 1024, description="largest message received or sent"
    )
    chunk_bytes: int = Field(
        default=2**20, ge=1024, description="bytes per message of a download stream"
    )

    @model_validator(mode="after")
    def _check(self) -> GrpcSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("grpc.tls_cert and grpc.tls_key go together: set both or neither")
        if self.chunk_bytes > self.max_message_bytes - 1024:
            raise ValueError("grpc.chunk_bytes must leave room in grpc.max_message_bytes")
        return self


class AdminSettings(BaseModel):
    name: str = "admin"
    token: SecretStr | None = Field(
        default=None,
        description="a wh_<id>_<secret> token to register for the first admin",
    )


class AuthSettings(BaseModel):
    signup: bool = Field(default=True, description="anyone may create an account")
    session_ttl_seconds: int = Field(default=12 * 3600, gt=0)
    session_key_file: Path | None = Field(
        default=None, description="the session signing key ring; default <data_dir>/secrets/"
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="the keys that encrypt S3 access-key secrets; default <data_dir>/secrets/",
    )
    # Well above the per-client limit, which is checked first: one address is cut off long
    # before it could lock anyone out; only many addresses together reach an account's limit.
    signin_per_account: int = Field(
        default=100, gt=0, description="attempts on one account per window, from all addresses"
    )
    signin_per_client: int = Field(
        default=10, gt=0, description="attempts from one address per window, on any accounts"
    )
    signup_per_client: int = Field(default=10, gt=0, description="sign-ups per window")
    signin_window_seconds: int = Field(default=300, gt=0)
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="share sign-in limits between processes through Redis (weighthouse[redis])",
    )
    principal_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=30,
        description="how long a token's or an S3 access key's authentication is reused; revoking, "
        "signing out, disabling a user or changing a membership ends it at once (0: off)",
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="take the client address from X-Forwarded-For's last entry (behind a proxy)",
    )
    argon2_memory_kib: int = Field(default=19456, ge=8192)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1)
    max_concurrent_hashes: int = Field(default=2, ge=1)


class RedisSettings(BaseModel):
    """A Redis that several server processes and hosts share (``weighthouse[redis]``)."""

    url: str | None = Field(
        default=None,
        description="redis://host:port/db; the principal cache is shared through it by every "
        "process and host that names the same Redis",
    )
    timeout_seconds: float = Field(
        default=0.2,
        gt=0,
        le=5,
        description="connect and command timeout; a slower Redis is skipped, never waited for",
    )
    retry_seconds: float = Field(
        default=5, gt=0, le=300, description="how long a failed Redis is left alone"
    )


class RepoSettings(BaseModel):
    default_private: bool = Field(
        default=True,
        description="new repos and buckets are private unless their creator asks otherwise",
    )


class HubSettings(BaseModel):
    """The Hugging Face Hub front-end, mounted at ``/hf`` on the main app."""

    enabled: bool = Field(default=True, description="serve the Hub API under /hf")
    page_size: int = Field(
        default=1000, ge=1, le=1000, description="entries per page of tree and commit listings"
    )
    lfs_part_bytes: int = Field(
        default=64 * 2**20,
        ge=2**20,
        le=5 * 2**30,
        description="part size of git-lfs multipart uploads; larger objects are sent in parts"
        " of this size",
    )
    trust_forwarded_host: bool = Field(
        default=False,
        description="build the URLs handed to clients from X-Forwarded-Proto, -Host and -Prefix"
        " (behind a reverse proxy that sets them)",
    )


class JobSettings(BaseModel):
    """The job runner: which apps are installed, and the worker pool ``serve`` runs."""

    apps: list[str] | None = Field(
        default=None,
        description="installed apps: entry-point names of the weighthouse.apps group, or"
        " 'module:Class' paths; default: every app of that group",
    )
    workers: bool = Field(
        default=True,
        description="run a worker pool inside 'weighthouse serve' (off: only 'weighthouse"
        " worker' processes run jobs)",
    )
    concurrency: int = Field(default=1, ge=1, le=64, description="jobs at once per queue")
    queue_concurrency: dict[str, int] = Field(
        default_factory=dict, description="jobs at once for named queues, beating concurrency"
    )
    lease_seconds: float = Field(
        default=30.0,
        ge=1,
        description="a job whose worker has not reported for this long is run again",
    )
    backoff_seconds: float = Field(
        default=5.0, ge=0, description="first delay before a job whose worker died runs again"
    )
    cancel_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description="how long a cancelled or overdue job may take to stop before it is ended",
    )
    startup_seconds: float = Field(
        default=120.0,
        gt=0,
        description="how long an app's process may take to start and import its app before"
        " the job fails ('process' isolation); a job's time limit runs only from then",
    )
    app_idle_seconds: float = Field(
        default=60.0,
        ge=0,
        description="how long a worker's app process stays up with no job before it exits"
        " ('process' isolation); the next job starts a new one, within startup_seconds",
    )
    poll_seconds: float = Field(
        default=0.5, gt=0, le=60, description="how often an idle worker looks for jobs"
    )
    isolation: Literal["process", "thread"] = Field(
        default="process",
        description="run each worker's apps in a process of its own, killed when a cancelled or"
        " overdue job has not stopped after cancel_grace_seconds ('process'), or in the"
        " worker's thread, where such a job is ended but its app runs on ('thread')",
    )
    engine: Literal["embedded", "redis"] = Field(
        default="embedded",
        description="how workers hear of jobs: 'embedded' polls the catalog (and wakes the"
        " server's own pool on submit); 'redis' sends each job to workers through dramatiq's"
        " Redis broker (weighthouse[jobs-redis]). The catalog holds the jobs either way",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db of the 'redis' engine's broker; default: redis.url",
    )
    redispatch_seconds: float = Field(
        default=2.0,
        gt=0,
        le=3600,
        description="with the 'redis' engine, a job still queued this long after it could run"
        " is sent again (its message was lost with the broker, or taken by a worker that died)",
    )
    on_push: bool = Field(
        default=True,
        description="queue the inspect and scan apps (those installed) on the weight files"
        " each commit adds or changes",
    )
    notify_hosts: list[str] | None = Field(
        default=None,
        description="the only hosts job callbacks (notify_url) may go to; default: any public host",
    )
    notify_networks: list[str] = Field(
        default_factory=list,
        description="networks (CIDR) job callbacks may reach though they are not public, e.g."
        " 10.0.0.0/8 for an internal receiver; loopback, link-local and private addresses are"
        " refused otherwise",
    )
    notify_ca_file: Path | None = Field(
        default=None,
        description="PEM file of CA certificates that https job callback receivers may also"
        " chain to, besides the public CAs (a receiver behind an internal CA)",
    )
    notify_attempts: int = Field(
        default=8, ge=1, le=50, description="tries of each callback event before it is given up"
    )
    notify_backoff_seconds: float = Field(
        default=2.0, ge=0, description="first delay before a failed callback is tried again"
    )
    notify_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="how long one callback request may take"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEIGHTHOUSE_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("data")
    database: DatabaseSettings = DatabaseSettings()
    blobs: BlobSettings = BlobSettings()
    server: ServerSettings = ServerSettings()
    admin: AdminSettings = AdminSettings()
    s3: S3Settings = S3Settings()
    grpc: GrpcSettings = GrpcSettings()
    auth: AuthSettings = AuthSettings()
    redis: RedisSettings = RedisSettings()
    repos: RepoSettings = RepoSettings()
    hf: HubSettings = HubSettings()
    jobs: JobSettings = JobSettings()

    @model_validator(mode="after")
    def _jobs_broker(self) -> Settings:
        if self.jobs.engine == "redis" and not (self.jobs.redis_url or self.redis.url):
            raise ValueError("jobs.engine = 'redis' needs jobs.redis_url (or redis.url)")
        return self

    @property
    def jobs_redis_url(self) -> str | None:
        """The broker of the 'redis' job engine."""
        return self.jobs.redis_url or self.redis.url

    gc_grace_seconds: int = Field(default=6 * 3600, ge=0)
    max_upload_bytes: int = Field(default=64 * 2**30, gt=0)
    # Accounts, organisations, repos, tokens and keys fit in a few KiB; only a commit (up to
    # wire.COMMIT_OPERATIONS_MAX operations) and a blob check need more.
    max_json_bytes: int = Field(default=2**20, gt=0)
    max_commit_json_bytes: int = Field(default=16 * 2**20, gt=0)
    # Small enough for a CI runner's disk, large enough to warn before uploads start failing.
    min_free_bytes: int = Field(
        default=256 * 2**20,
        ge=0,
        description="readiness fails when the data folder or local blob root has less free",
    )

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'weighthouse.db').resolve()}"

    @property
    def session_key_file(self) -> Path:
        return (
            self.auth.session_key_file or self.data_dir / "secrets" / "session-keys.json"
        ).resolve()

    @property
    def secret_key_file(self) -> Path:
        return (
            self.auth.secret_key_file or self.data_dir / "secrets" / "secret-keys.json"
        ).resolve()

    @property
    def reserve_file(self) -> Path | None:
        """The room kept for deletes beside a SQLite catalog file; ``None`` for other
        databases, which keep their files elsewhere."""
        if self.database.url is not None or self.database.reserve_bytes == 0:
            return None
        return (self.data_dir / "weighthouse.reserve").resolve()

    @property
    def rate_limit_file(self) -> Path:
        """Where the server processes of one host count sign-in attempts together."""
        return (self.data_dir / "ratelimits.db").resolve()
