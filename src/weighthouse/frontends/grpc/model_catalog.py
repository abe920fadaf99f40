"""``model_catalog.ModelCatalog``: the API of the model catalog Weighthouse replaces, on the core.

Its clients keep their generated stubs and scripts; what the fields mean changes as follows.

* A **folder** is an organisation; ``folder_id`` is its name. The creator is its admin.
* A **model** is a model repo in it; ``model_id`` is ``<folder>/<model>``, the name REST, the
  CLI and the Hub API use for the same repo. Ids are names in Weighthouse's own namespace, never
  server paths; clients should treat them as opaque strings.
* ``SignUp`` and ``SignIn`` return session tokens, sent back in the ``user_token`` metadata key
  (or ``authorization: Bearer``); API tokens work there too.
* ``GrantAccess`` makes the user a member of the organisation with the ``write`` role, so they
  see and use its models, current and future; only the organisation's admins may grant.
* ``UploadFile`` needs a token and write access to the model before any byte is stored, streams
  the chunks into the blob store as they arrive, and answers with a *receipt*
  (:mod:`~weighthouse.domain.upload_receipts`) bound to the caller and the model, which only
  ``SetModelVersion`` of that caller for that model accepts. A path is refused.
* ``SetModelVersion`` commits the uploaded file, under its base name, to the model's ``main``
  branch as the only file there, and tags that commit: a **version** is that immutable tag,
  ``version_id`` its name. The same file name uploaded twice gives two versions.
* ``DownloadVersion`` streams the version's file from the blob store; ``Version.file_path`` in
  ``ListModels`` is its name in the repo.

Access is decided by the core's one permission service: a model the caller may not read is
``NOT_FOUND``, as everywhere in Weighthouse, so private models do not leak.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

import grpc

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile, DeleteFile
from weighthouse.domain.errors import (
    AuthenticationError,
    CommitConflictError,
    InvalidInputError,
    PreconditionFailedError,
    RefExistsError,
    RevisionNotFoundError,
    TooLargeError,
)
from weighthouse.domain.model import (
    EntryKind,
    PathEntry,
    RefKind,
    Repo,
    RepoId,
    RepoType,
    Role,
)
from weighthouse.domain.names import check_path
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.grpc.credentials import client_address, credential
from weighthouse.frontends.grpc.errors import streaming, unary
from weighthouse.frontends.grpc.protos import model_catalog_pb2 as pb
from weighthouse.frontends.grpc.protos import model_catalog_pb2_grpc as pb_grpc

PAGE = 100
COALESCE = 2**20
VERSION_PREFIX = "v-"
_ATTEMPTS = 5


class ModelCatalogService(pb_grpc.ModelCatalogServicer):
    def __init__(self, container: Container) -> None:
        self._hub = container
        self._chunk_bytes = container.settings.grpc.chunk_bytes
        self._max_upload = container.settings.max_upload_bytes

    # --- accounts --------------------------------------------------------------------------
    @unary
    def SignUp(self, request: pb.SignUpRequest, context: grpc.ServicerContext) -> pb.SignUpResponse:
        client = client_address(context.peer())
        self._hub.users.sign_up(request.username, request.password, client=client)
        issued = self._hub.sessions.sign_in(request.username, request.password, client=client)
        return pb.SignUpResponse(token=issued.token)

    @unary
    def SignIn(self, request: pb.SignInRequest, context: grpc.ServicerContext) -> pb.SignInResponse:
        client = client_address(context.peer())
        issued = self._hub.sessions.sign_in(request.username, request.password, client=client)
        return pb.SignInResponse(token=issued.token)

    # --- folders and models ----------------------------------------------------------------
    @unary
    def CreateFolder(
        self, request: pb.CreateFolderRequest, context: grpc.ServicerContext
    ) -> pb.CreateFolderResponse:
        org = self._hub.orgs.create(self._principal(context), request.name)
        return pb.CreateFolderResponse(folder_id=org.name)

    @unary
    def GrantAccess(
        self, request: pb.GrantAccessRequest, context: grpc.ServicerContext
    ) -> pb.GrantAccessResponse:
        principal = self._principal(context)
        folder = request.folder_id
        members = self._hub.orgs.members(principal, folder)
        # Never lower a role: granting to an admin (the creator, say) leaves it as it is.
        if not any(m.user_name == request.username and m.role.allows(Role.WRITE) for m in members):
            self._hub.orgs.set_member(principal, folder, request.username, Role.WRITE)
        return pb.GrantAccessResponse(
            message=f"{request.username} may use the models of {folder}, now and later"
        )

    @unary
    def CreateModel(
        self, request: pb.CreateModelRequest, context: grpc.ServicerContext
    ) -> pb.CreateModelResponse:
        repo_id = RepoId(RepoType.MODEL, request.folder_id, request.name)
        repo = self._hub.repos.create(
            self._principal(context), repo_id, description=request.description
        )
        return pb.CreateModelResponse(model_id=repo.full_name)

    @unary
    def ListModels(
        self, request: pb.ListModelsRequest, context: grpc.ServicerContext
    ) -> pb.ListModelsResponse:
        principal = self._principal(context)
        models: list[pb.Model] = []
        after: str | None = None
        while True:
            page = self._hub.repos.list(principal, type=RepoType.MODEL, after=after, limit=PAGE)
            models.extend(self._model(principal, repo) for repo in page.items)
            if page.next_after is None:
                return pb.ListModelsResponse(model=models)
            after = page.next_after

    def _model(self, principal: Principal, repo: Repo) -> pb.Model:
        repo_id = RepoId(repo.type, repo.namespace, repo.name)
        tags = sorted(
            (r for r in self._hub.revisions.refs(principal, repo_id) if r.kind is RefKind.TAG),
            key=lambda r: (r.created_at, r.name),
        )
        return pb.Model(
            id=repo.full_name,
            name=repo.name,
            folder_id=repo.namespace,
            description=repo.description,
            versions=[
                pb.Version(id=tag.name, file_path=self._version_file(principal, repo_id, tag.name))
                for tag in tags
            ],
            created_at=repo.created_at.timestamp(),
            created_by=repo.owner_id,
        )

    # --- versions --------------------------------------------------------------------------
    @unary
    def UploadFile(
        self, request_iterator: Iterator[pb.UploadFileRequest], context: grpc.ServicerContext
    ) -> pb.UploadFileResponse:
        principal = self._principal(context)
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("request") != "file_metadata":
            raise InvalidInputError("the first message must carry file_metadata")
        filename = base_name(first.file_metadata.filename)
        repo_id = model_id(first.file_metadata.model_id)
        repo = self._hub.repos.get(principal, repo_id)
        # Checks write access before it reads the first chunk; holds one of the caller's
        # upload slots, shared with the HTTP front-ends of this process.
        slots = self._hub.transfer_slots
        with slots.hold(account=principal.viewer_id, client=client_address(context.peer())):
            digest = self._hub.commits.upload_blob(
                principal, repo_id, self._chunks(request_iterator)
            )
        receipt = self._hub.upload_receipts.issue(principal, repo, digest, filename)
        return pb.UploadFileResponse(file_path=receipt)

    def _chunks(self, messages: Iterable[pb.UploadFileRequest]) -> Iterator[bytes]:
        """The chunks' bytes, gathered into pieces of about ``COALESCE`` bytes: the original
        client sends 1 KiB messages, and the blob store writes and hashes far faster in large
        pieces. At most one piece is held, whatever the file size."""
        received = 0
        pending = bytearray()
        for message in messages:
            if message.WhichOneof("request") != "chunk_data":
                raise InvalidInputError("after file_metadata, every message carries chunk_data")
            received += len(message.chunk_data)
            if received > self._max_upload:
                raise TooLargeError(f"an upload may have at most {self._max_upload} bytes")
            pending += message.chunk_data
            if len(pending) >= COALESCE:
                yield bytes(pending)
                pending.clear()
        if pending:
            yield bytes(pending)

    @unary
    def SetModelVersion(
        self, request: pb.SetModelVersionRequest, context: grpc.ServicerContext
    ) -> pb.SetModelVersionResponse:
        principal = self._principal(context)
        repo_id = model_id(request.model_id)
        repo = self._hub.repos.get(principal, repo_id)
        receipt = self._hub.upload_receipts.redeem(principal, repo, request.uploaded_file_path)
        operations = [AddFile(receipt.filename, receipt.sha256, receipt.size)]
        for _ in range(_ATTEMPTS):
            head = self._hub.revisions.resolve(principal, repo_id, DEFAULT_BRANCH).commit
            stale = [
                DeleteFile(entry.path)
                for entry in self._root(principal, repo_id, head.id)
                if entry.path != receipt.filename
            ]
            try:
                commit = self._hub.commits.commit(
                    principal,
                    repo_id,
                    DEFAULT_BRANCH,
                    [*stale, *operations],
                    message=f"Version of {receipt.filename}",
                    parent_commit=head.id,
                )
            except CommitConflictError:
                continue  # another version landed meanwhile: its file goes too
            return pb.SetModelVersionResponse(version_id=self._tag(principal, repo_id, commit.id))
        raise CommitConflictError("the model kept changing; try again")

    def _tag(self, principal: Principal, repo_id: RepoId, commit_id: str) -> str:
        for _ in range(_ATTEMPTS):
            name = VERSION_PREFIX + secrets.token_hex(8)
            try:
                self._hub.revisions.create_ref(principal, repo_id, RefKind.TAG, name, commit_id)
            except RefExistsError:
                continue
            return name
        raise RefExistsError("could not name the version; try again")

    @streaming
    def DownloadVersion(
        self, request: pb.DownloadVersionRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadVersionResponse]:
        principal = self._principal(context)
        repo_id = model_id(request.model_id)
        resolved = self._hub.revisions.resolve(principal, repo_id, request.version_id)
        if resolved.ref is None or resolved.ref.kind is not RefKind.TAG:
            raise RevisionNotFoundError(f"no version {request.version_id!r} of this model")
        path = self._version_file(principal, repo_id, resolved.commit.id)
        if not path:
            raise PreconditionFailedError("this version does not hold exactly one file")
        _, download = self._hub.files.download(principal, repo_id, resolved.commit.id, path)
        with self._hub.files.reader(download) as reader:
            for piece in reader.iter_range(piece=self._chunk_bytes):
                yield pb.DownloadVersionResponse(chunk_data=piece)

    def _version_file(self, principal: Principal, repo_id: RepoId, revision: str) -> str:
        """The name of the one file at ``revision``; ``""`` when it holds none or several."""
        entries = self._root(principal, repo_id, revision, limit=2)
        if len(entries) == 1 and entries[0].entry.kind is EntryKind.FILE:
            return entries[0].path
        return ""

    def _root(
        self, principal: Principal, repo_id: RepoId, revision: str, limit: int | None = None
    ) -> list[PathEntry]:
        """The entries at the root of ``revision``: all of them, or the first ``limit``."""
        entries: list[PathEntry] = []
        after: str | None = None
        while True:
            _, listing = self._hub.files.list_tree(
                principal, repo_id, revision, after=after, limit=limit or PAGE
            )
            entries.extend(listing.entries)
            if limit is not None or listing.next_after is None:
                return entries
            after = listing.next_after

    # --- credentials -----------------------------------------------------------------------
    def _principal(self, context: grpc.ServicerContext) -> Principal:
        presented = credential(context.invocation_metadata())
        if presented is None:
            raise AuthenticationError("send the token from SignIn in the user_token metadata key")
        return self._hub.authenticator.authenticate(
            presented, client=client_address(context.peer())
        )


def model_id(value: str) -> RepoId:
    """The model a ``model_id`` names; ``InvalidInputError`` for one of another shape."""
    namespace, slash, name = value.partition("/")
    if not slash or not namespace or not name or "/" in name:
        raise InvalidInputError("model_id must be the id CreateModel returned", model_id=value)
    return RepoId(RepoType.MODEL, namespace, name)


def base_name(filename: str) -> str:
    """The last part of a client's file path, which is all the server keeps of it."""
    name = filename.replace("\\", "/").rpartition("/")[2]
    return check_path(name)
