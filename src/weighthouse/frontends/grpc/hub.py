"""``weighthouse.v1.Hub``: Weighthouse's own gRPC API, one call per use case of the core.

Uploads are client streams (a header message, then chunks) handed to the core's streaming
writes, one message at a time; downloads are server streams read from the blob store one
chunk at a time (``grpc.chunk_bytes``) from a start ``offset``, so an interrupted download
resumes where it stopped, checked against the SHA-256 sent in the initial metadata. Page
tokens are the core's cursors, never offsets into a copy held by the server.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

import grpc

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile, DeleteFile, Operation
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    RangeNotSatisfiableError,
)
from weighthouse.domain.files import Download
from weighthouse.domain.model import (
    BucketObject,
    Commit,
    EntryKind,
    RefKind,
    Repo,
    RepoId,
    RepoType,
)
from weighthouse.domain.ports import BlobReader
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.grpc.credentials import client_address, credential
from weighthouse.frontends.grpc.errors import streaming, unary
from weighthouse.frontends.grpc.protos import hub_pb2 as pb
from weighthouse.frontends.grpc.protos import hub_pb2_grpc as pb_grpc
from weighthouse.frontends.grpc.wire import (
    COMMIT_KEY,
    COMMIT_OPERATIONS_MAX,
    SHA256_KEY,
    SIZE_KEY,
)

DEFAULT_PAGE = 50
Message = TypeVar("Message")
_TYPES: dict[int, RepoType] = {
    pb.MODEL: RepoType.MODEL,
    pb.DATASET: RepoType.DATASET,
    pb.BUCKET: RepoType.BUCKET,
}
_WIRE_TYPES: dict[RepoType, pb.RepoType] = {
    RepoType.MODEL: pb.MODEL,
    RepoType.DATASET: pb.DATASET,
    RepoType.BUCKET: pb.BUCKET,
}


class HubService(pb_grpc.HubServicer):
    def __init__(self, container: Container) -> None:
        self._hub = container
        self._slots = container.transfer_slots
        self._chunk_bytes = container.settings.grpc.chunk_bytes
        self._max_upload = container.settings.max_upload_bytes

    # --- repos -----------------------------------------------------------------------------
    @unary
    def CreateRepo(self, request: pb.CreateRepoRequest, context: grpc.ServicerContext) -> pb.Repo:
        repo = self._hub.repos.create(
            self._principal(context),
            repo_id(request.repo),
            private=request.private if request.HasField("private") else None,
            description=request.description,
        )
        return wire_repo(repo)

    @unary
    def GetRepo(self, request: pb.GetRepoRequest, context: grpc.ServicerContext) -> pb.Repo:
        return wire_repo(self._hub.repos.get(self._principal(context), repo_id(request.repo)))

    @unary
    def ListRepos(
        self, request: pb.ListReposRequest, context: grpc.ServicerContext
    ) -> pb.ListReposResponse:
        page = self._hub.repos.list(
            self._principal(context),
            type=repo_type(request.type) if request.HasField("type") else None,
            namespace=request.namespace or None,
            search=request.search or None,
            after=request.page_token or None,
            limit=request.page_size or DEFAULT_PAGE,
        )
        return pb.ListReposResponse(
            repos=[wire_repo(r) for r in page.items], next_page_token=page.next_after or ""
        )

    # --- refs, history, trees --------------------------------------------------------------
    @unary
    def ListRefs(
        self, request: pb.ListRefsRequest, context: grpc.ServicerContext
    ) -> pb.ListRefsResponse:
        refs = self._hub.revisions.refs(self._principal(context), repo_id(request.repo))
        wire = [pb.Ref(name=r.name, commit=r.commit_id, tag=r.kind is RefKind.TAG) for r in refs]
        return pb.ListRefsResponse(
            branches=[r for r in wire if not r.tag], tags=[r for r in wire if r.tag]
        )

    @unary
    def CreateRef(self, request: pb.CreateRefRequest, context: grpc.ServicerContext) -> pb.Ref:
        kind = RefKind.TAG if request.tag else RefKind.BRANCH
        ref = self._hub.revisions.create_ref(
            self._principal(context), repo_id(request.repo), kind, request.name, request.revision
        )
        return pb.Ref(name=ref.name, commit=ref.commit_id, tag=ref.kind is RefKind.TAG)

    @unary
    def ListCommits(
        self, request: pb.ListCommitsRequest, context: grpc.ServicerContext
    ) -> pb.ListCommitsResponse:
        page = self._hub.revisions.log(
            self._principal(context),
            repo_id(request.repo),
            request.revision or DEFAULT_BRANCH,
            after=request.page_token or None,
            limit=request.page_size or DEFAULT_PAGE,
        )
        return pb.ListCommitsResponse(
            commits=[wire_commit(c) for c in page.items], next_page_token=page.next_after or ""
        )

    @unary
    def ListTree(
        self, request: pb.ListTreeRequest, context: grpc.ServicerContext
    ) -> pb.ListTreeResponse:
        resolved, listing = self._hub.files.list_tree(
            self._principal(context),
            repo_id(request.repo),
            request.revision or DEFAULT_BRANCH,
            request.path,
            recursive=request.recursive,
            after=request.page_token or None,
            limit=request.page_size or DEFAULT_PAGE,
        )
        return pb.ListTreeResponse(
            commit=resolved.commit.id,
            entries=[
                pb.TreeEntry(
                    path=e.path,
                    directory=e.entry.kind is EntryKind.DIRECTORY,
                    size=e.entry.size,
                    sha256=e.entry.sha256 or "",
                )
                for e in listing.entries
            ],
            next_page_token=listing.next_after or "",
        )

    # --- uploads and commits ---------------------------------------------------------------
    @unary
    def UploadFile(
        self, request_iterator: Iterator[pb.UploadFileRequest], context: grpc.ServicerContext
    ) -> pb.UploadFileResponse:
        principal = self._principal(context)
        header = first_header(request_iterator, pb.UploadHeader)
        with self._slot(principal, context):
            commit, digest = self._hub.commits.upload_file(
                principal,
                repo_id(header.repo),
                header.branch or DEFAULT_BRANCH,
                header.path,
                self._chunks(request_iterator, header.size),
                size=declared_size(header.size),
                sha256=header.sha256 or None,
                message=header.message or None,
                parent_commit=header.parent_commit or None,
            )
        return pb.UploadFileResponse(
            commit=wire_commit(commit), blob=pb.Blob(sha256=digest.sha256, size=digest.size)
        )

    @unary
    def UploadBlob(
        self, request_iterator: Iterator[pb.UploadBlobRequest], context: grpc.ServicerContext
    ) -> pb.Blob:
        principal = self._principal(context)
        header = first_header(request_iterator, pb.BlobHeader)
        with self._slot(principal, context):
            digest = self._hub.commits.upload_blob(
                principal,
                repo_id(header.repo),
                self._chunks(request_iterator, header.size),
                size=declared_size(header.size),
                sha256=header.sha256 or None,
            )
        return pb.Blob(sha256=digest.sha256, size=digest.size)

    @unary
    def Commit(self, request: pb.CommitRequest, context: grpc.ServicerContext) -> pb.CommitInfo:
        if len(request.operations) > COMMIT_OPERATIONS_MAX:
            raise InvalidInputError(f"a commit may have at most {COMMIT_OPERATIONS_MAX} operations")
        operations: list[Operation] = []
        for op in request.operations:
            kind = op.WhichOneof("op")
            if kind == "add":
                operations.append(AddFile(op.add.path, op.add.sha256, op.add.size))
            elif kind == "delete":
                operations.append(DeleteFile(op.delete.path))
            else:
                raise InvalidInputError("every operation is an add or a delete")
        commit = self._hub.commits.commit(
            self._principal(context),
            repo_id(request.repo),
            request.branch or DEFAULT_BRANCH,
            operations,
            message=request.message or "Commit",
            parent_commit=request.parent_commit or None,
        )
        return wire_commit(commit)

    def _chunks(self, messages: Iterable[object], declared: int) -> Iterator[bytes]:
        """The chunk messages' bytes, refused past the declared size or the server's limit."""
        limit = min(self._max_upload, declared) if declared > 0 else self._max_upload
        received = 0
        for message in messages:
            if message.WhichOneof("part") != "chunk":  # type: ignore[attr-defined]
                raise InvalidInputError("after the header, every message carries a chunk")
            data: bytes = message.chunk  # type: ignore[attr-defined]
            received += len(data)
            if received > limit:
                raise InvalidInputError(f"more than the declared {limit} bytes")
            yield data

    # --- downloads -------------------------------------------------------------------------
    @streaming
    def DownloadFile(
        self, request: pb.DownloadFileRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.Chunk]:
        resolved, download = self._hub.files.download(
            self._principal(context),
            repo_id(request.repo),
            request.revision or DEFAULT_BRANCH,
            request.path,
        )
        context.send_initial_metadata(
            (
                (SHA256_KEY, download.sha256),
                (SIZE_KEY, str(download.size)),
                (COMMIT_KEY, resolved.commit.id),
            )
        )
        with self._hub.files.reader(download) as reader:
            yield from self._stream(reader, download, request.offset)

    def _stream(self, reader: BlobReader, download: Download, offset: int) -> Iterator[pb.Chunk]:
        if offset < 0 or offset > download.size:
            raise RangeNotSatisfiableError(
                f"offset {offset} is outside the file's {download.size} bytes"
            )
        for piece in reader.iter_range(offset, piece=self._chunk_bytes):
            yield pb.Chunk(data=piece)

    # --- bucket objects --------------------------------------------------------------------
    @unary
    def PutObject(
        self, request_iterator: Iterator[pb.PutObjectRequest], context: grpc.ServicerContext
    ) -> pb.Object:
        principal = self._principal(context)
        header = first_header(request_iterator, pb.ObjectHeader)
        with self._slot(principal, context):
            obj = self._hub.buckets.put(
                principal,
                bucket_id(header.bucket),
                header.key,
                self._chunks(request_iterator, header.size),
                size=declared_size(header.size),
                sha256=header.sha256 or None,
                content_type=header.content_type or None,
            )
        return wire_object(obj)

    @streaming
    def GetObject(
        self, request: pb.GetObjectRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.Chunk]:
        obj, download = self._hub.buckets.download(
            self._principal(context), bucket_id(request.bucket), request.key
        )
        # Empty for an object joined from multipart parts: its SHA-256 is not known.
        sha256 = obj.content_sha256 or ""
        context.send_initial_metadata(((SHA256_KEY, sha256), (SIZE_KEY, str(obj.size))))
        with self._hub.buckets.reader(download) as reader:
            yield from self._stream(reader, download, request.offset)

    @unary
    def ListObjects(
        self, request: pb.ListObjectsRequest, context: grpc.ServicerContext
    ) -> pb.ListObjectsResponse:
        listing = self._hub.buckets.list(
            self._principal(context),
            bucket_id(request.bucket),
            prefix=request.prefix,
            after=decode_token(request.page_token),
            limit=request.page_size or 1000,
        )
        token = base64.urlsafe_b64encode(listing.next_after).decode() if listing.next_after else ""
        return pb.ListObjectsResponse(
            objects=[wire_object(o) for o in listing.objects], next_page_token=token
        )

    @unary
    def DeleteObject(
        self, request: pb.DeleteObjectRequest, context: grpc.ServicerContext
    ) -> pb.DeleteObjectResponse:
        self._hub.buckets.delete(self._principal(context), bucket_id(request.bucket), request.key)
        return pb.DeleteObjectResponse()

    # --- credentials -----------------------------------------------------------------------
    def _slot(
        self, principal: Principal, context: grpc.ServicerContext
    ) -> AbstractContextManager[None]:
        """One of the caller's upload slots, shared with the HTTP front-ends of this process."""
        return self._slots.hold(account=principal.viewer_id, client=client_address(context.peer()))

    def _principal(self, context: grpc.ServicerContext) -> Principal:
        presented = credential(context.invocation_metadata())
        if presented is None:
            raise AuthenticationError("send a token: authorization: Bearer <token>")
        return self._hub.authenticator.authenticate(
            presented, client=client_address(context.peer())
        )


def first_header(messages: Iterator[object], kind: type[Message]) -> Message:
    """The stream's first message's header; ``InvalidInputError`` when it has none."""
    first = next(messages, None)
    if first is None or first.WhichOneof("part") != "header":  # type: ignore[attr-defined]
        raise InvalidInputError("the first message must be the header")
    header = first.header  # type: ignore[attr-defined]
    assert isinstance(header, kind)
    return header


def declared_size(size: int) -> int | None:
    if size < 0:
        raise InvalidInputError("size must not be negative")
    return size or None


def repo_type(value: int) -> RepoType:
    try:
        return _TYPES[value]
    except KeyError:
        raise InvalidInputError(f"unknown repo type {value}") from None


def repo_id(ref: pb.RepoRef) -> RepoId:
    namespace, slash, name = ref.repo.partition("/")
    if not slash or "/" in name:
        raise InvalidInputError("repo must be 'namespace/name'", repo=ref.repo[:200])
    return RepoId(repo_type(ref.type), namespace, name)


def bucket_id(value: str) -> RepoId:
    return repo_id(pb.RepoRef(type=pb.BUCKET, repo=value))


def decode_token(token: str) -> bytes | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidInputError("page_token is not one this server gave") from None


def wire_repo(repo: Repo) -> pb.Repo:
    return pb.Repo(
        type=_WIRE_TYPES[repo.type],
        repo=repo.full_name,
        private=repo.private,
        description=repo.description,
        created_at=int(repo.created_at.timestamp()),
    )


def wire_commit(commit: Commit) -> pb.CommitInfo:
    return pb.CommitInfo(
        id=commit.id,
        parent=commit.parent_id or "",
        author=commit.author,
        message=commit.message,
        created_at=int(commit.created_at.timestamp()),
    )


def wire_object(obj: BucketObject) -> pb.Object:
    return pb.Object(
        key=obj.key,
        size=obj.size,
        sha256=obj.content_sha256 or "",
        content_type=obj.content_type,
        modified_at=int(obj.modified_at.timestamp()),
    )
