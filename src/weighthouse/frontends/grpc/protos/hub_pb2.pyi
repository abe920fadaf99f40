from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RepoType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL: _ClassVar[RepoType]
    DATASET: _ClassVar[RepoType]
    BUCKET: _ClassVar[RepoType]
MODEL: RepoType
DATASET: RepoType
BUCKET: RepoType

class RepoRef(_message.Message):
    __slots__ = ("type", "repo")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    type: RepoType
    repo: str
    def __init__(self, type: _Optional[_Union[RepoType, str]] = ..., repo: _Optional[str] = ...) -> None: ...

class Repo(_message.Message):
    __slots__ = ("type", "repo", "private", "description", "created_at")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    type: RepoType
    repo: str
    private: bool
    description: str
    created_at: int
    def __init__(self, type: _Optional[_Union[RepoType, str]] = ..., repo: _Optional[str] = ..., private: _Optional[bool] = ..., description: _Optional[str] = ..., created_at: _Optional[int] = ...) -> None: ...

class CreateRepoRequest(_message.Message):
    __slots__ = ("repo", "private", "description")
    REPO_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    private: bool
    description: str
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., private: _Optional[bool] = ..., description: _Optional[str] = ...) -> None: ...

class GetRepoRequest(_message.Message):
    __slots__ = ("repo",)
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ...) -> None: ...

class ListReposRequest(_message.Message):
    __slots__ = ("type", "namespace", "search", "page_size", "page_token")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    type: RepoType
    namespace: str
    search: str
    page_size: int
    page_token: str
    def __init__(self, type: _Optional[_Union[RepoType, str]] = ..., namespace: _Optional[str] = ..., search: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReposResponse(_message.Message):
    __slots__ = ("repos", "next_page_token")
    REPOS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    repos: _containers.RepeatedCompositeFieldContainer[Repo]
    next_page_token: str
    def __init__(self, repos: _Optional[_Iterable[_Union[Repo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Ref(_message.Message):
    __slots__ = ("name", "commit", "tag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    commit: str
    tag: bool
    def __init__(self, name: _Optional[str] = ..., commit: _Optional[str] = ..., tag: _Optional[bool] = ...) -> None: ...

class ListRefsRequest(_message.Message):
    __slots__ = ("repo",)
    REPO_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ...) -> None: ...

class ListRefsResponse(_message.Message):
    __slots__ = ("branches", "tags")
    BRANCHES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    branches: _containers.RepeatedCompositeFieldContainer[Ref]
    tags: _containers.RepeatedCompositeFieldContainer[Ref]
    def __init__(self, branches: _Optional[_Iterable[_Union[Ref, _Mapping]]] = ..., tags: _Optional[_Iterable[_Union[Ref, _Mapping]]] = ...) -> None: ...

class CreateRefRequest(_message.Message):
    __slots__ = ("repo", "name", "revision", "tag")
    REPO_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    name: str
    revision: str
    tag: bool
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., name: _Optional[str] = ..., revision: _Optional[str] = ..., tag: _Optional[bool] = ...) -> None: ...

class CommitInfo(_message.Message):
    __slots__ = ("id", "parent", "author", "message", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    parent: str
    author: str
    message: str
    created_at: int
    def __init__(self, id: _Optional[str] = ..., parent: _Optional[str] = ..., author: _Optional[str] = ..., message: _Optional[str] = ..., created_at: _Optional[int] = ...) -> None: ...

class ListCommitsRequest(_message.Message):
    __slots__ = ("repo", "revision", "page_size", "page_token")
    REPO_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    revision: str
    page_size: int
    page_token: str
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., revision: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCommitsResponse(_message.Message):
    __slots__ = ("commits", "next_page_token")
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    commits: _containers.RepeatedCompositeFieldContainer[CommitInfo]
    next_page_token: str
    def __init__(self, commits: _Optional[_Iterable[_Union[CommitInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TreeEntry(_message.Message):
    __slots__ = ("path", "directory", "size", "sha256")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    path: str
    directory: bool
    size: int
    sha256: str
    def __init__(self, path: _Optional[str] = ..., directory: _Optional[bool] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class ListTreeRequest(_message.Message):
    __slots__ = ("repo", "revision", "path", "recursive", "page_size", "page_token")
    REPO_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    revision: str
    path: str
    recursive: bool
    page_size: int
    page_token: str
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., revision: _Optional[str] = ..., path: _Optional[str] = ..., recursive: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTreeResponse(_message.Message):
    __slots__ = ("commit", "entries", "next_page_token")
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    commit: str
    entries: _containers.RepeatedCompositeFieldContainer[TreeEntry]
    next_page_token: str
    def __init__(self, commit: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[TreeEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UploadHeader(_message.Message):
    __slots__ = ("repo", "branch", "path", "size", "sha256", "message", "parent_commit")
    REPO_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PARENT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    branch: str
    path: str
    size: int
    sha256: str
    message: str
    parent_commit: str
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., branch: _Optional[str] = ..., path: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., message: _Optional[str] = ..., parent_commit: _Optional[str] = ...) -> None: ...

class UploadFileRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: UploadHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[UploadHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadFileResponse(_message.Message):
    __slots__ = ("commit", "blob")
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    commit: CommitInfo
    blob: Blob
    def __init__(self, commit: _Optional[_Union[CommitInfo, _Mapping]] = ..., blob: _Optional[_Union[Blob, _Mapping]] = ...) -> None: ...

class BlobHeader(_message.Message):
    __slots__ = ("repo", "size", "sha256")
    REPO_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    size: int
    sha256: str
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadBlobRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: BlobHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[BlobHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class Blob(_message.Message):
    __slots__ = ("sha256", "size")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    size: int
    def __init__(self, sha256: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class AddFile(_message.Message):
    __slots__ = ("path", "sha256", "size")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    path: str
    sha256: str
    size: int
    def __init__(self, path: _Optional[str] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class DeleteFile(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class Operation(_message.Message):
    __slots__ = ("add", "delete")
    ADD_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    add: AddFile
    delete: DeleteFile
    def __init__(self, add: _Optional[_Union[AddFile, _Mapping]] = ..., delete: _Optional[_Union[DeleteFile, _Mapping]] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("repo", "branch", "message", "parent_commit", "operations")
    REPO_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PARENT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    branch: str
    message: str
    parent_commit: str
    operations: _containers.RepeatedCompositeFieldContainer[Operation]
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., branch: _Optional[str] = ..., message: _Optional[str] = ..., parent_commit: _Optional[str] = ..., operations: _Optional[_Iterable[_Union[Operation, _Mapping]]] = ...) -> None: ...

class DownloadFileRequest(_message.Message):
    __slots__ = ("repo", "revision", "path", "offset")
    REPO_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    repo: RepoRef
    revision: str
    path: str
    offset: int
    def __init__(self, repo: _Optional[_Union[RepoRef, _Mapping]] = ..., revision: _Optional[str] = ..., path: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class Object(_message.Message):
    __slots__ = ("key", "size", "sha256", "content_type", "modified_at")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    key: str
    size: int
    sha256: str
    content_type: str
    modified_at: int
    def __init__(self, key: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., content_type: _Optional[str] = ..., modified_at: _Optional[int] = ...) -> None: ...

class ObjectHeader(_message.Message):
    __slots__ = ("bucket", "key", "size", "sha256", "content_type")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    size: int
    sha256: str
    content_type: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., content_type: _Optional[str] = ...) -> None: ...

class PutObjectRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: ObjectHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[ObjectHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class GetObjectRequest(_message.Message):
    __slots__ = ("bucket", "key", "offset")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    offset: int
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
    __slots__ = ("bucket", "prefix", "page_size", "page_token")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    page_size: int
    page_token: str
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListObjectsResponse(_message.Message):
    __slots__ = ("objects", "next_page_token")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[Object]
    next_page_token: str
    def __init__(self, objects: _Optional[_Iterable[_Union[Object, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteObjectRequest(_message.Message):
    __slots__ = ("bucket", "key")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class DeleteObjectResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
