"""One global S3 bucket name space over the core's buckets.

The S3 bucket ``<namespace>--<name>`` is the core bucket ``<namespace>/<name>``, whether the
namespace is a user or an organisation: ``alice--scratch`` is ``alice/scratch`` and
``acme--datasets`` is ``acme/datasets``. Core names never contain ``--`` (see
:mod:`weighthouse.domain.names`), so the first ``--`` splits every S3 name one way only and
every S3 name means the same bucket to every caller, anonymous ones included. The same
objects are reachable through the REST API under ``/api/buckets/<namespace>/<name>``.

S3's own naming rules apply on top: 3 to 63 characters of lower-case letters, digits, ``.``
and ``-``, starting and ending with a letter or digit, no ``..``, not an IP address. A core
bucket whose name breaks them (upper case, ``_``) is not visible through S3.

A name that follows S3's rules but names no core bucket (``scratch``, with no namespace) is a
bucket that cannot exist: ``NoSuchBucket`` (404) to every operation but CreateBucket, as S3
answers for any bucket nobody created; only creating it is ``InvalidBucketName`` (400).
"""

from __future__ import annotations

import re

from weighthouse.domain.model import RepoId, RepoType
from weighthouse.domain.names import is_valid_name
from weighthouse.frontends.s3.errors import S3Error

SEPARATOR = "--"
_S3_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", re.ASCII)
_IP = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)


def is_s3_name(name: str) -> bool:
    """Whether ``name`` follows S3's bucket naming rules."""
    return bool(_S3_NAME.fullmatch(name)) and ".." not in name and not _IP.fullmatch(name)


def bucket_id(s3_name: str, *, creating: bool = False) -> RepoId:
    """The core bucket an S3 bucket name means. ``InvalidBucketName`` (400) if the name breaks
    S3's rules, or when ``creating`` a bucket the name cannot mean; otherwise a name that means
    no core bucket is ``NoSuchBucket`` (404)."""
    namespace, sep, name = s3_name.partition(SEPARATOR)
    mapped = bool(sep) and is_valid_name(namespace) and is_valid_name(name)
    if is_s3_name(s3_name) and not mapped and not creating:
        raise S3Error(
            404,
            "NoSuchBucket",
            "The specified bucket does not exist",
            BucketName=s3_name,
        )
    if not (is_s3_name(s3_name) and mapped):
        raise S3Error(
            400,
            "InvalidBucketName",
            "S3 bucket names are <namespace>--<name>: 3 to 63 lower-case letters, digits, "
            "'.' and '-', naming the core bucket <namespace>/<name>",
            BucketName=s3_name[:255],
        )
    return RepoId(RepoType.BUCKET, namespace, name)


def s3_name(namespace: str, name: str) -> str | None:
    """The S3 name of the core bucket ``namespace/name``; ``None`` if S3 cannot name it."""
    candidate = f"{namespace}{SEPARATOR}{name}"
    return candidate if is_s3_name(candidate) else None
