"""The Python client of the Weighthouse REST API, and what the CLI's remote commands use.

It speaks HTTP only (httpx) and never imports the server's adapters; see
``WeighthouseClient`` for the entry point and ``errors`` for what it raises.
"""

from weighthouse.client.accounts import is_session_token
from weighthouse.client.addresses import DEFAULT_REVISION, RepoAddress, parse_repo_address, url_kind
from weighthouse.client.cache import default_cache_dir, hub_download, snapshot_download
from weighthouse.client.client import WeighthouseClient
from weighthouse.client.errors import (
    ApiError,
    ClientError,
    DigestMismatchError,
    EntryNotFoundError,
    RefExistsError,
    ServerUnreachableError,
)
from weighthouse.client.local_files import FolderWalk, LocalFile, SkippedPath, walk_local
from weighthouse.client.models import (
    AccessKeyInfo,
    AuditEventInfo,
    BlobInfo,
    CommitInfo,
    EntryInfo,
    MemberInfo,
    ObjectInfo,
    ObjectListing,
    OrgInfo,
    RefInfo,
    Refs,
    RepoInfo,
    SessionInfo,
    TokenInfo,
    UploadInfo,
    UserInfo,
    WhoAmI,
)
from weighthouse.client.patterns import PathFilter
from weighthouse.client.progress import ProgressBar, ProgressFactory, no_progress
from weighthouse.client.pulling import PullResult, pull_snapshot
from weighthouse.client.push_plan import PushPlan, plan_push
from weighthouse.client.pushing import PushResult, check_new_tag, hash_files, push_files
from weighthouse.domain.commits import AddFile, DeleteFile

__all__ = [
    "DEFAULT_REVISION",
    "AccessKeyInfo",
    "AddFile",
    "ApiError",
    "AuditEventInfo",
    "BlobInfo",
    "ClientError",
    "CommitInfo",
    "DeleteFile",
    "DigestMismatchError",
    "EntryInfo",
    "EntryNotFoundError",
    "FolderWalk",
    "LocalFile",
    "MemberInfo",
    "ObjectInfo",
    "ObjectListing",
    "OrgInfo",
    "PathFilter",
    "ProgressBar",
    "ProgressFactory",
    "PullResult",
    "PushPlan",
    "PushResult",
    "RefExistsError",
    "RefInfo",
    "Refs",
    "RepoAddress",
    "RepoInfo",
    "ServerUnreachableError",
    "SessionInfo",
    "SkippedPath",
    "TokenInfo",
    "UploadInfo",
    "UserInfo",
    "WeighthouseClient",
    "WhoAmI",
    "check_new_tag",
    "default_cache_dir",
    "hash_files",
    "hub_download",
    "is_session_token",
    "no_progress",
    "parse_repo_address",
    "plan_push",
    "pull_snapshot",
    "push_files",
    "snapshot_download",
    "url_kind",
    "walk_local",
]
