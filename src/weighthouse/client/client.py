"""``WeighthouseClient``: every REST API group behind one object."""

from __future__ import annotations

from weighthouse.client.access_keys import AccessKeysApi
from weighthouse.client.access_requests import AccessRequestsApi
from weighthouse.client.accounts import AccountsApi
from weighthouse.client.buckets import BucketsApi
from weighthouse.client.files import FilesApi
from weighthouse.client.jobs import JobsApi
from weighthouse.client.orgs import OrgsApi
from weighthouse.client.repos import ReposApi


class WeighthouseClient(
    AccountsApi,
    AccessKeysApi,
    AccessRequestsApi,
    OrgsApi,
    ReposApi,
    FilesApi,
    BucketsApi,
    JobsApi,
):
    """A client for one Weighthouse server::

        with WeighthouseClient("http://127.0.0.1:8000", token="wh_...") as hub:
            hub.create_repo("bert", namespace="alice")
            hub.upload_file("alice/bert", "config.json", b"{}", message="add config")
            hub.download("alice/bert", "config.json", Path("config.json"))

    The credential is an API token (``wh_…``), a session token from ``sign_in`` (``whs.…``),
    or ``user=`` with ``password=`` for HTTP Basic (the password may also be a token).

    Repos are named ``namespace/name`` with ``repo_type`` (model by default); errors are
    ``ApiError`` (the server said no), ``ServerUnreachableError`` (it said nothing) and
    ``DigestMismatchError`` (a download's bytes were wrong). Whole folders move with
    ``push_files`` and ``pull_snapshot``. One client may be shared by threads, as an
    ``httpx.Client`` may.
    """

    def __enter__(self) -> WeighthouseClient:
        return self
