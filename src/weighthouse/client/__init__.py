"""The Python client of the Weighthouse REST API, and what the CLI's remote commands use.

It speaks HTTP only (httpx) and never imports the server's adapters; see
``WeighthouseClient`` for the entry point and ``errors`` for what it raises.
"""

from weighthouse.client.accounts import is_session_token
from weighthouse.client.addresses import RepoAddress, parse_repo_address, url_kind
from weighthouse.client.client import WeighthouseClient
from weighthouse.client.errors import (
    ApiError,
    ClientError,
    DigestMismatchError,
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
from weighthouse.client.progress import ProgressBar, ProgressFactory, no_progress
from weighthouse.client.pulling import PullResult, pull_snapshot
from weighthouse.client.pushing import PushResult, hash_files, push_files
from weighthouse.domain.commits import AddFile, DeleteFile

__all__ = [
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
    "FolderWalk",
    "LocalFile",
    "MemberInfo",
    "ObjectInfo",
    "ObjectListing",
    "OrgInfo",
    "ProgressBar",
    "ProgressFactory",
    "PullResult",
    "PushResult",
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
    "hash_files",
    "is_session_token",
    "no_progress",
    "parse_repo_address",
    "pull_snapshot",
    "push_files",
    "url_kind",
    "walk_local",
]
