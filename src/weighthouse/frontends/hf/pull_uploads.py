"""Whether a request's uploads are for a pull request, and so open to readers of the repo.

On the Hub anyone who can read a repo may open a pull request with files, so
``huggingface_hub`` uploads the files of ``create_commit(create_pr=True)`` before any pull
request exists. It says so on every call of the upload:

* ``preupload`` and ``commit``: ``?create_pr=1``;
* the LFS batch: no ``ref`` in the body (the client leaves the revision out, so that the
  write check of a branch is not made);
* the Xet write token: ``?create_pr=1``, on the revision ``None``; ``hf_xet`` refreshes the
  token through the same URL.

A commit added to an existing pull request names its branch, ``refs/pr/<num>``, as the
revision (the ``ref`` of the LFS batch); only its author or a repo writer may commit there,
which is checked before any byte is taken.

The answer only decides who may *upload*; no branch moves by an upload. Which branch a commit
lands on is decided by the commit itself (:mod:`.commits`): a caller without the write role
reaches only the branch of a pull request they opened. Every other upload needs the write
role, so a reader who tries to change ``main`` is refused before sending a byte.
"""

from __future__ import annotations

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.discussions_model import PR_REF_PREFIX
from weighthouse.domain.model import RepoId
from weighthouse.frontends.hf.calls import Call

CREATE_PR = "create_pr"
"""The query parameter with which the client asks for a new pull request."""


def asks_for_pull_request(call: Call) -> bool:
    """Whether the request carries ``create_pr`` as the client sends it (``1``)."""
    return call.request.query_params.get(CREATE_PR) in ("1", "true", "True")


def for_pull_request(
    hub: Container, caller: Principal, repo_id: RepoId, revision: str | None, *, create_pr: bool
) -> bool:
    """Whether uploads toward ``revision`` are for a pull request: a new one (``create_pr``),
    or the open one whose branch ``revision`` is, which the caller must be allowed to commit
    to (raises as that commit would). Runs catalog queries: call it off the event loop."""
    if create_pr:
        return True
    if revision is not None and revision.startswith(PR_REF_PREFIX):
        hub.discussions.check_committer(caller, repo_id, revision)
        return True
    return False
