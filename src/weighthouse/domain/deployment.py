"""Deployment identity: proof that a catalog and a blob store belong together.

A catalog alone cannot tell a fresh database from the wrong one, and the garbage collector
deletes every blob an empty catalog does not mention. So each deployment gets an id on its
first start, recorded in the catalog and in a marker in the blob store, and every server-side
command checks the pair before it reads or changes anything:

=============================  ==========================  ====================================
catalog                        blob store                  outcome
=============================  ==========================  ====================================
no id, no repos                empty                       fresh: ``adopt`` gives both an id
no id, no repos                blobs or a marker           refused: the catalog is not this one
no id, repos                   no marker                   from before ids: ``adopt`` gives both
no id                          a marker                    refused: the store has another owner
id X                           marker X                    the same deployment
id X                           marker Y                    refused: two deployments
id X, store not marked yet     no marker                   ``adopt`` writes the marker
id X, store marked             no marker                   refused: not the store it marked
=============================  ==========================  ====================================

The catalog is written first and arbitrates concurrent first starts (one row, inserted once);
the marker follows, and then the catalog notes that the store is marked. A crash between two
steps leaves a state ``adopt`` finishes. Only ``serve`` and ``db upgrade`` adopt; the other
commands ``verify`` and refuse what is unfinished.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from weighthouse.domain.errors import DeploymentMismatchError
from weighthouse.domain.model import DeploymentRecord
from weighthouse.domain.ports import Clock, DeploymentCatalog, DeploymentMarker

SETTINGS_HINT = "check --config, WEIGHTHOUSE_CONFIG and the WEIGHTHOUSE_* environment"


def new_deployment_id() -> str:
    return uuid.uuid4().hex


class DeploymentIdentity:
    """Checks, and on a server's start records, that ``catalog`` and ``marker`` (the blob
    store) are one deployment. ``catalog_name`` and ``store_name`` say where they are, for
    the operator reading the refusal."""

    def __init__(
        self,
        catalog: DeploymentCatalog,
        marker: DeploymentMarker,
        clock: Clock,
        *,
        catalog_name: str,
        store_name: str,
        new_id: Callable[[], str] = new_deployment_id,
    ) -> None:
        self._catalog = catalog
        self._marker = marker
        self._clock = clock
        self._catalog_name = catalog_name
        self._store_name = store_name
        self._new_id = new_id

    def verify(self) -> str | None:
        """The deployment id, after checking the pair; ``None`` for a catalog and a store that
        are both still empty. Changes nothing.

        Raises :class:`DeploymentMismatchError` for every refused state of the table above,
        and for a deployment whose identity is not recorded yet (``adopt`` would record it).
        """
        return self._check(adopt=False)

    def adopt(self) -> str:
        """Like :meth:`verify`, but records what is missing: an id for a fresh deployment or
        one from before ids, and the store's marker. Idempotent, and safe to run from several
        processes at once. Raises :class:`DeploymentMismatchError` for the refused states."""
        deployment_id = self._check(adopt=True)
        assert deployment_id is not None
        return deployment_id

    def _check(self, *, adopt: bool) -> str | None:
        record = self._catalog.deployment()
        marked = self._marker.read()
        if record is None:
            empty = not self._catalog.holds_repos()
            if empty and (marked is not None or self._marker.holds_anything()):
                owner = f"deployment {marked}" if marked else "blobs"
                raise self._refusal(
                    f"the catalog {self._catalog_name} is empty but the blob store "
                    f"{self._store_name} holds {owner}: refusing to run against the wrong "
                    f"catalog; {SETTINGS_HINT}"
                )
            if marked is not None:
                raise self._refusal(
                    f"the blob store {self._store_name} belongs to deployment {marked}, but "
                    f"the catalog {self._catalog_name} has no deployment id: it is another "
                    f"deployment's catalog, or a copy from before ids; {SETTINGS_HINT}"
                )
            if empty and not adopt:
                return None
            if not empty and not adopt:
                raise self._unfinished()
            record = self._catalog.claim_deployment(
                DeploymentRecord(id=self._new_id(), created_at=self._clock())
            )
        if marked is not None and marked != record.id:
            raise self._refusal(
                f"the catalog {self._catalog_name} is deployment {record.id} but the blob "
                f"store {self._store_name} is deployment {marked}; {SETTINGS_HINT}"
            )
        if marked is None and record.store_marked_at is not None:
            raise self._refusal(
                f"the blob store {self._store_name} has no marker of deployment {record.id}, "
                f"whose store was marked on {record.store_marked_at:%Y-%m-%d}: is it the "
                f"right store? {SETTINGS_HINT}"
            )
        if marked is None:
            if not adopt:
                raise self._unfinished()
            self._marker.write(record.id)
        if record.store_marked_at is None and adopt:
            self._catalog.mark_store(record.id, self._clock())
        return record.id

    def _refusal(self, message: str) -> DeploymentMismatchError:
        return DeploymentMismatchError(message, catalog=self._catalog_name, store=self._store_name)

    def _unfinished(self) -> DeploymentMismatchError:
        return self._refusal(
            f"the deployment of the catalog {self._catalog_name} and the blob store "
            f"{self._store_name} has no id yet: run 'weighthouse db upgrade' (or start the "
            "server) once to record it"
        )
