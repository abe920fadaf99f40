"""The Hub protocol's constants and codecs: header names, which files travel as LFS, and the
git ids the client compares. No domain logic, no I/O."""

from __future__ import annotations

import hashlib

MOUNT = "/hf"
"""Where the Hub front-end is mounted on the main app; ``HF_ENDPOINT`` ends here."""

REPO_COMMIT = "X-Repo-Commit"
LINKED_ETAG = "X-Linked-Etag"
LINKED_SIZE = "X-Linked-Size"
ERROR_CODE = "X-Error-Code"
ERROR_MESSAGE = "X-Error-Message"

REGULAR_MAX = 1024 * 1024
"""Files up to this size travel inline (base64 in the commit) and are "regular" files whose
``oid`` is their git blob id; larger ones, and files with a binary suffix below, are LFS files
whose ``oid`` is their SHA-256. Kept small: inline content costs the client several times its
size in memory."""

LFS_SUFFIXES = (
    ".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gguf", ".gz", ".h5", ".joblib",
    ".mlmodel", ".model", ".msgpack", ".npy", ".npz", ".onnx", ".ot", ".parquet", ".pb",
    ".pickle", ".pkl", ".pt", ".pth", ".rar", ".safetensors", ".tar", ".tflite", ".tgz",
    ".wasm", ".xz", ".zip", ".zst",
)  # fmt: skip
"""Suffixes the Hub's default ``.gitattributes`` sends to LFS whatever their size."""


def upload_mode(path: str, size: int) -> str:
    """``"lfs"`` or ``"regular"``: how ``preupload`` tells the client to send a file.

    A pure function of the path and size, so ``preupload``'s answer and every later listing
    agree. Empty files are always regular (the client forces that).
    """
    if size > 0 and (size > REGULAR_MAX or path.lower().endswith(LFS_SUFFIXES)):
        return "lfs"
    return "regular"


def is_lfs(path: str, size: int, git_sha1: str | None) -> bool:
    """Whether the client sees a stored file as an LFS file: as ``preupload`` would send it, or
    when it has no git blob id (pushed in a way that computed none, so only its SHA-256 can
    name it)."""
    return upload_mode(path, size) == "lfs" or (git_sha1 is None and size > 0)


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file git would store for these bytes."""
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    ).encode("ascii")


def git_blob_id(content: bytes) -> str:
    """Git's id of a blob with ``content``."""
    digest = hashlib.sha1(b"blob %d\0" % len(content), usedforsecurity=False)
    digest.update(content)
    return digest.hexdigest()


EMPTY_BLOB_ID = git_blob_id(b"")
"""Only an empty file can be regular without a stored git blob id (see :func:`is_lfs`)."""


def file_oid(path: str, sha256: str, size: int, git_sha1: str | None) -> str:
    """The ``oid`` of a file in tree listings: its git blob id, or for LFS files the git id of
    its pointer (as a git server would list it)."""
    if is_lfs(path, size, git_sha1):
        return git_blob_id(lfs_pointer(sha256, size))
    return git_sha1 or EMPTY_BLOB_ID


def etag(path: str, sha256: str, size: int, git_sha1: str | None) -> str:
    """What the client caches a file under: the SHA-256 of LFS files, else the git blob id."""
    if is_lfs(path, size, git_sha1):
        return sha256
    return git_sha1 or EMPTY_BLOB_ID
