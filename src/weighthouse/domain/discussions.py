"""Discussions and pull requests: the use cases (see
:mod:`~weighthouse.domain.discussions_model` for what they are).

Who may do what, as the Hub has it:

* anyone who can read a repo reads its discussions; any signed-in user who can read it (with
  a credential that may change things) opens a discussion or a pull request and comments;
* a discussion's author or a repo writer renames it and opens or closes it; a comment's author
  edits it; its author or a repo writer hides it, for good (its text is erased); a pull
  request's author or a repo writer commits to its branch;
* only repo writers merge. A merge is one commit onto the target branch, made only while that
  branch is still where the merge was checked (the usual parent check): the pull request's
  changes since it started, refused as a conflict when the target changed a file the pull
  request changed too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from weighthouse.domain.access import Principal, repo_role, require_writing_user
from weighthouse.domain.catalog import UserCatalog
from weighthouse.domain.commits import AddFile, Commits, DeleteFile, Operation
from weighthouse.domain.discussions_catalog import DiscussionCatalog
from weighthouse.domain.discussions_model import (
    Discussion,
    DiscussionEvent,
    DiscussionQuery,
    DiscussionStatus,
    EventKind,
    pr_ref,
)
from weighthouse.domain.errors import (
    CommitConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from weighthouse.domain.model import (
    Commit,
    EntryKind,
    Ref,
    RefKind,
    Repo,
    RepoId,
    Role,
    Scope,
    TreeEntry,
)
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import DEFAULT_BRANCH, find_repo, require_versioned
from weighthouse.domain.revisions import VersionedCatalog, resolve

TITLE_MAX = 500
TEXT_MAX = 65536


class DiscussionsCatalog(VersionedCatalog, DiscussionCatalog, UserCatalog, Protocol):
    """What :class:`Discussions` uses."""


@dataclass(frozen=True)
class Details:
    discussion: Discussion
    events: tuple[DiscussionEvent, ...]
    conflicts: tuple[str, ...] = ()
    """Files a pull request and its target branch both changed since it started."""
    may_merge: bool = False
    """Whether the caller may merge (a writer of the repo, with a credential that writes)."""
    may_change: bool = False
    """Whether the caller may close, reopen or rename it: its author or a writer, either with
    a credential that writes."""


class Discussions:
    def __init__(self, catalog: DiscussionsCatalog, commits: Commits, clock: Clock) -> None:
        self._catalog = catalog
        self._commits = commits
        self._clock = clock

    # -- reading

    def list_discussions(
        self,
        principal: Principal,
        repo_id: RepoId,
        *,
        pull_requests: bool | None = None,
        status: DiscussionStatus | None = None,
        author: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Discussion], int]:
        """One page of the repo's discussions, newest first, and how many match in all. An
        ``author`` who is no user matches nothing."""
        check_limit(limit)
        if offset < 0:
            raise InvalidInputError("offset must not be negative")
        repo = find_repo(self._catalog, principal, repo_id)
        author_id = None
        if author is not None:
            try:
                author_id = self._catalog.get_user(author).id
            except NotFoundError:
                return [], 0
        query = DiscussionQuery(
            repo_id=repo.id,
            is_pull_request=pull_requests,
            status=status,
            author_id=author_id,
            offset=offset,
            limit=limit,
        )
        return self._catalog.list_discussions(query)

    def get(self, principal: Principal, repo_id: RepoId, num: int) -> Details:
        """Raises ``NotFoundError`` for a number the repo has not given out."""
        repo = find_repo(self._catalog, principal, repo_id)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        events = tuple(self._catalog.discussion_events(repo.id, discussion.num))
        conflicts: tuple[str, ...] = ()
        if discussion.is_pull_request and discussion.status in _OPEN:
            conflicts = tuple(sorted(self._plan(repo, discussion)[1]))
        writes = principal.user is not None and principal.scope is not Scope.READ
        role = repo_role(self._catalog, principal, repo) if writes else None
        may_merge = role is not None and role.allows(Role.WRITE)
        is_author = principal.user is not None and principal.user.id == discussion.author_id
        return Details(
            discussion, events, conflicts, may_merge, may_merge or (writes and is_author)
        )

    # -- opening and talking

    def open(
        self,
        principal: Principal,
        repo_id: RepoId,
        *,
        title: str,
        description: str = "",
        pull_request: bool = False,
        draft: bool = True,
        base_commit: str | None = None,
    ) -> Discussion:
        """A new discussion, or a pull request against ``main`` with its branch made at
        ``base_commit`` (default: the head of ``main``). ``draft`` pull requests are what
        ``create_pull_request`` opens; commits made with ``create_pr`` open them ready."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        title = _title(title)
        _text(description, "description")
        now = self._clock()
        target = base = None
        if pull_request:
            require_versioned(repo)
            target = DEFAULT_BRANCH
            base = resolve(self._catalog, repo, base_commit or target).commit.id
        status = DiscussionStatus.DRAFT if pull_request and draft else DiscussionStatus.OPEN
        discussion = Discussion(
            repo_id=repo.id,
            num=0,
            title=title,
            author_id=user.id,
            status=status,
            is_pull_request=pull_request,
            created_at=now,
            target_branch=target,
            base_commit=base,
        )
        first = None
        if description:
            first = DiscussionEvent(repo.id, 0, 1, EventKind.COMMENT, user.id, description, now)
        with self._catalog.atomic():
            num = self._catalog.add_discussion(discussion, first)
            if base is not None:
                branch = Ref(kind=RefKind.BRANCH, name=pr_ref(num), commit_id=base, created_at=now)
                self._catalog.create_ref(repo.id, branch)
        return self._catalog.get_discussion(repo.id, num)

    def comment(
        self, principal: Principal, repo_id: RepoId, num: int, text: str
    ) -> DiscussionEvent:
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        if not text.strip():
            raise InvalidInputError("a comment needs some text")
        return self._add(discussion, EventKind.COMMENT, user.id, _text(text, "comment"))

    def edit_comment(
        self, principal: Principal, repo_id: RepoId, num: int, seq: int, text: str
    ) -> DiscussionEvent:
        """Only the comment's author may change its text."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        event = self._event(discussion, seq)
        if event.kind is not EventKind.COMMENT:
            raise NotFoundError(f"no comment {seq} in discussion #{discussion.num}")
        if event.author_id != user.id:
            raise PermissionDeniedError("only its author may edit a comment")
        if event.hidden:
            raise InvalidInputError("a hidden comment cannot be edited")
        changed = replace(event, content=_text(text, "comment"), edited=True)
        self._catalog.update_discussion_event(changed)
        return self._event(discussion, seq)

    def hide_comment(
        self, principal: Principal, repo_id: RepoId, num: int, seq: int
    ) -> DiscussionEvent:
        """Hide a comment, by its author or a repo writer. This cannot be undone: the text is
        erased, not kept out of sight, as the Hub does it. Hiding it again changes nothing."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        event = self._event(discussion, seq)
        if event.kind is not EventKind.COMMENT:
            raise NotFoundError(f"no comment {seq} in discussion #{discussion.num}")
        if event.author_id != user.id:
            role = repo_role(self._catalog, principal, repo)
            if role is None or not role.allows(Role.WRITE):
                raise PermissionDeniedError(
                    f"only its author or a writer of {repo.full_name!r} may hide a comment"
                )
        if not event.hidden:
            self._catalog.update_discussion_event(replace(event, content="", hidden=True))
        return self._event(discussion, seq)

    def rename(
        self, principal: Principal, repo_id: RepoId, num: int, title: str
    ) -> DiscussionEvent:
        _, discussion, user_id = self._as_author_or_writer(principal, repo_id, num)
        title = _title(title)
        with self._catalog.atomic():
            self._catalog.update_discussion(replace(discussion, title=title))
            return self._add(
                discussion, EventKind.TITLE_CHANGE, user_id, title, old=discussion.title
            )

    def change_status(
        self,
        principal: Principal,
        repo_id: RepoId,
        num: int,
        status: DiscussionStatus,
        comment: str = "",
    ) -> DiscussionEvent:
        """Open or close; a merged pull request stays merged."""
        if status not in (DiscussionStatus.OPEN, DiscussionStatus.CLOSED):
            raise InvalidInputError("status must be 'open' or 'closed'")
        _, discussion, user_id = self._as_author_or_writer(principal, repo_id, num)
        if discussion.status is DiscussionStatus.MERGED:
            raise InvalidInputError(f"#{discussion.num} is merged; its status cannot change")
        with self._catalog.atomic():
            if comment.strip():
                self._add(discussion, EventKind.COMMENT, user_id, _text(comment, "comment"))
            self._catalog.update_discussion(replace(discussion, status=status))
            return self._add(discussion, EventKind.STATUS_CHANGE, user_id, status.value)

    # -- pull requests

    def pull_request(self, principal: Principal, repo_id: RepoId, ref: str) -> Discussion:
        """The open pull request whose branch ``ref`` (``refs/pr/<num>``) is."""
        repo = find_repo(self._catalog, principal, repo_id)
        discussion = self._catalog.get_discussion(repo.id, _pr_num(ref))
        if not discussion.is_pull_request:
            raise NotFoundError(f"#{discussion.num} is a discussion, not a pull request")
        return discussion

    def commit(
        self,
        principal: Principal,
        repo_id: RepoId,
        num: int,
        operations: Sequence[Operation],
        *,
        message: str,
        parent_commit: str | None = None,
    ) -> Commit:
        """A commit to the pull request's branch, by its author or a repo writer, while it is
        open; recorded as a ``commit`` event."""
        repo, discussion, user_id = self._committer(principal, repo_id, num)
        commit = self._commits.commit_to_pull_request(
            principal,
            repo,
            pr_ref(discussion.num),
            operations,
            message=message,
            parent_commit=parent_commit,
        )
        summary = f"{commit.id} {message.splitlines()[0] if message else ''}".rstrip()
        self._add(discussion, EventKind.COMMIT, user_id, summary)
        return commit

    def check_committer(self, principal: Principal, repo_id: RepoId, ref: str) -> Discussion:
        """The open pull request whose branch ``ref`` (``refs/pr/<num>``) is, if the caller
        may commit to it (see :meth:`commit`); raises as a commit there would. For checking
        before the bytes of such a commit are uploaded."""
        return self._committer(principal, repo_id, _pr_num(ref))[1]

    def _committer(
        self, principal: Principal, repo_id: RepoId, num: int
    ) -> tuple[Repo, Discussion, str]:
        repo, discussion, user_id = self._as_author_or_writer(principal, repo_id, num)
        if not discussion.is_pull_request:
            raise InvalidInputError(f"#{discussion.num} is a discussion, not a pull request")
        if discussion.status not in _OPEN:
            raise InvalidInputError(f"pull request #{discussion.num} is {discussion.status}")
        return repo, discussion, user_id

    def merge(
        self, principal: Principal, repo_id: RepoId, num: int, comment: str = ""
    ) -> Discussion:
        """Apply the pull request's changes to its target branch in one commit, by a repo
        writer. Raises ``CommitConflictError`` (naming the files) when the target branch
        changed a file the pull request changed too, or moved while merging."""
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
        user = require_writing_user(principal)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        if not discussion.is_pull_request:
            raise InvalidInputError(f"#{discussion.num} is a discussion, not a pull request")
        if discussion.status not in _OPEN:
            raise InvalidInputError(f"pull request #{discussion.num} is {discussion.status}")
        assert discussion.target_branch is not None
        (operations, conflicts, target_head) = self._plan(repo, discussion)
        if conflicts:
            raise CommitConflictError(
                "the target branch changed the same files: " + ", ".join(sorted(conflicts)[:20]),
                branch=discussion.target_branch,
            )
        if not operations:
            raise InvalidInputError(f"pull request #{discussion.num} changes nothing")
        merged = self._commits.commit(
            principal,
            RepoId(repo.type, repo.namespace, repo.name),
            discussion.target_branch,
            operations,
            message=f"Merge pull request #{discussion.num}: {discussion.title}"[:1000],
            parent_commit=target_head,
        )
        with self._catalog.atomic():
            if comment.strip():
                self._add(discussion, EventKind.COMMENT, user.id, _text(comment, "comment"))
            done = replace(discussion, status=DiscussionStatus.MERGED, merge_commit=merged.id)
            self._catalog.update_discussion(done)
            self._add(discussion, EventKind.STATUS_CHANGE, user.id, DiscussionStatus.MERGED.value)
        return self._catalog.get_discussion(repo.id, discussion.num)

    # -- helpers

    def _plan(self, repo: Repo, discussion: Discussion) -> tuple[list[Operation], set[str], str]:
        """The operations that bring the pull request's changes onto its target, the files
        both sides changed since it started, and the target head this was computed against."""
        assert discussion.target_branch is not None and discussion.base_commit is not None
        base = self._catalog.get_commit(repo.id, discussion.base_commit).tree_id
        head = self._catalog.get_ref(repo.id, RefKind.BRANCH, pr_ref(discussion.num))
        theirs_ref = self._catalog.get_ref(repo.id, RefKind.BRANCH, discussion.target_branch)
        ours = dict(self._diff(repo, base, self._tree_of(repo, head.commit_id), ""))
        theirs = dict(self._diff(repo, base, self._tree_of(repo, theirs_ref.commit_id), ""))
        both = ours.keys() & theirs.keys()
        conflicts = {path for path in both if _state(ours[path]) != _state(theirs[path])}
        operations: list[Operation] = []
        for path, now in sorted(ours.items()):
            if path in theirs and _state(theirs[path]) == _state(now):
                continue  # the target already has this change
            if now is None:
                operations.append(DeleteFile(path))
            else:
                assert now.sha256 is not None
                operations.append(AddFile(path, now.sha256, now.size, now.git_sha1))
        return operations, conflicts, theirs_ref.commit_id

    def _diff(
        self, repo: Repo, old_tree: str | None, new_tree: str | None, prefix: str
    ) -> Iterator[tuple[str, TreeEntry | None]]:
        """Each file that differs between the trees, with its entry in ``new_tree`` (``None``
        where it is gone). Folders with the same tree id are skipped whole."""
        if old_tree == new_tree:
            return
        old, new = self._entries(repo, old_tree), self._entries(repo, new_tree)
        for name in sorted(old.keys() | new.keys()):
            was, now = old.get(name), new.get(name)
            was_dir = was is not None and was.kind is EntryKind.DIRECTORY
            now_dir = now is not None and now.kind is EntryKind.DIRECTORY
            if was_dir or now_dir:
                yield from self._diff(
                    repo,
                    was.tree_id if was is not None and was_dir else None,
                    now.tree_id if now is not None and now_dir else None,
                    f"{prefix}{name}/",
                )
            was_file = was if was is not None and not was_dir else None
            now_file = now if now is not None and not now_dir else None
            if was_file is None and now_file is None:
                continue
            if _state(was_file) != _state(now_file):
                yield f"{prefix}{name}", now_file

    def _tree_of(self, repo: Repo, commit_id: str) -> str:
        return self._catalog.get_commit(repo.id, commit_id).tree_id

    def _entries(self, repo: Repo, tree_id: str | None) -> dict[str, TreeEntry]:
        if tree_id is None:
            return {}
        return {entry.name: entry for entry in self._catalog.get_tree(repo.id, tree_id).entries}

    def _as_author_or_writer(
        self, principal: Principal, repo_id: RepoId, num: int
    ) -> tuple[Repo, Discussion, str]:
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_writing_user(principal)
        discussion = self._catalog.get_discussion(repo.id, _num(num))
        if discussion.author_id != user.id:
            role = repo_role(self._catalog, principal, repo)
            if role is None or not role.allows(Role.WRITE):
                raise PermissionDeniedError(
                    f"only its author or a writer of {repo.full_name!r} may change"
                    f" #{discussion.num}"
                )
        return repo, discussion, user.id

    def _add(
        self, discussion: Discussion, kind: EventKind, author_id: str, content: str, old: str = ""
    ) -> DiscussionEvent:
        event = DiscussionEvent(
            discussion.repo_id, discussion.num, 0, kind, author_id, content, self._clock(), old=old
        )
        seq = self._catalog.add_discussion_event(event)
        return self._event(discussion, seq)

    def _event(self, discussion: Discussion, seq: int) -> DiscussionEvent:
        for event in self._catalog.discussion_events(discussion.repo_id, discussion.num):
            if event.seq == seq:
                return event
        raise NotFoundError(f"no event {seq} in discussion #{discussion.num}")


_OPEN = (DiscussionStatus.OPEN, DiscussionStatus.DRAFT)


def _state(entry: TreeEntry | None) -> tuple[str | None, int] | None:
    return None if entry is None else (entry.sha256, entry.size)


def _num(num: int) -> int:
    if not 1 <= num <= 2**31 - 1:
        raise NotFoundError(f"no discussion #{num}")
    return num


def _pr_num(ref: str) -> int:
    number = ref.removeprefix("refs/pr/")
    if number == ref or not number.isdigit() or len(number) > 9:
        raise InvalidInputError(f"{ref!r} is not a pull request branch (refs/pr/<number>)")
    return _num(int(number))


def _title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidInputError(f"a title must be 1 to {TITLE_MAX} characters")
    return title


def _text(text: str, what: str) -> str:
    if len(text) > TEXT_MAX:
        raise InvalidInputError(f"a {what} must be at most {TEXT_MAX} characters")
    return text
