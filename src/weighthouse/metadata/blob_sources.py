"""Upload records and the lookup behind proof before reuse; mixed into ``SqlCatalog``.

:meth:`BlobSourceQueries.find_blob_sources` answers a batch of hashes in one read transaction
with at most two statements per 500 hashes: the caller's own upload records (primary key), then
the repos and buckets holding the rest, from the ``(sha256, repo_id)`` indexes of tree entries
and objects, joined to ``repos`` under the same visibility rule as repo listings and cut to a
few holders per blob by a window function.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Engine, Select, case, delete, func, literal, select, union

from weighthouse.domain.model import Repo
from weighthouse.domain.ports import BlobSourceQuery, BlobSources
from weighthouse.metadata.history import IN_BATCH
from weighthouse.metadata.organizations import visible_repos
from weighthouse.metadata.rows import repo_from
from weighthouse.metadata.tables import blob_uploads, objects, repos, tree_entries, xorb_uploads
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert


class BlobSourceQueries:
    _engine: Engine

    @retry_transient
    def record_blob_upload(self, user_id: str, sha256: str, size: int, at: datetime) -> None:
        """One upsert: concurrent uploads of the same blob by one user never collide."""
        row = {"user_id": user_id, "sha256": sha256, "size": size, "uploaded_at": at}
        with transaction(self._engine, write=True) as connection:
            upsert(connection, blob_uploads, row)

    def find_blob_sources(self, sha256s: Collection[str], query: BlobSourceQuery) -> BlobSources:
        uploaded: set[str] = set()
        holders: dict[str, list[Repo]] = {}
        # Many blobs share few holders: each repo row becomes one Repo.
        known: dict[str, Repo] = {}
        wanted = sorted(set(sha256s))
        with transaction(self._engine) as connection:
            for start in range(0, len(wanted), IN_BATCH):
                batch = wanted[start : start + IN_BATCH]
                if query.user_id is not None:
                    uploaded.update(connection.scalars(_uploaded(batch, query.user_id, query)))
                rest = [sha256 for sha256 in batch if sha256 not in uploaded]
                if rest and query.per_blob > 0:
                    for row in connection.execute(_holders(rest, query)):
                        repo = known.get(row.id) or known.setdefault(row.id, repo_from(row))
                        holders.setdefault(row.blob_sha256, []).append(repo)
        return BlobSources(
            uploaded=frozenset(uploaded),
            holders={sha256: tuple(found) for sha256, found in holders.items()},
        )

    @retry_transient
    def prune_blob_uploads(self, before: datetime) -> int:
        with transaction(self._engine, write=True) as connection:
            return sum(
                int(connection.execute(delete(t).where(t.c.uploaded_at < before)).rowcount)
                for t in (blob_uploads, xorb_uploads)
            )

    @retry_transient
    def record_xorb(
        self, user_id: str, xorb_hash: str, sha256: str, size: int, at: datetime
    ) -> None:
        row = {
            "user_id": user_id,
            "xorb_hash": xorb_hash,
            "sha256": sha256,
            "size": size,
            "uploaded_at": at,
        }
        with transaction(self._engine, write=True) as connection:
            upsert(connection, xorb_uploads, row)

    def find_xorb(self, user_id: str, xorb_hash: str, since: datetime) -> tuple[str, int] | None:
        statement = select(xorb_uploads.c.sha256, xorb_uploads.c.size).where(
            xorb_uploads.c.user_id == user_id,
            xorb_uploads.c.xorb_hash == xorb_hash,
            xorb_uploads.c.uploaded_at >= since,
        )
        with transaction(self._engine) as connection:
            row = connection.execute(statement).first()
        return None if row is None else (row.sha256, row.size)


def _uploaded(batch: Sequence[str], user_id: str, query: BlobSourceQuery) -> Select[tuple[str]]:
    return select(blob_uploads.c.sha256).where(
        blob_uploads.c.user_id == user_id,
        blob_uploads.c.sha256.in_(batch),
        blob_uploads.c.uploaded_at >= query.uploaded_since,
    )


def _holders(batch: Sequence[str], query: BlobSourceQuery) -> Select[tuple[object, ...]]:
    """``(blob_sha256, holder_rank, <repos columns>)``: up to ``per_blob`` visible holders of
    each blob, the preferred repo first, then by id so the answer is stable."""
    found = union(
        select(tree_entries.c.sha256, tree_entries.c.repo_id).where(
            tree_entries.c.sha256.in_(batch)
        ),
        select(objects.c.sha256, objects.c.repo_id).where(objects.c.sha256.in_(batch)),
    ).subquery("holders")
    preferred = (
        literal(1)
        if query.prefer_repo_id is None
        else case((repos.c.id == query.prefer_repo_id, 0), else_=1)
    )
    rank = func.row_number().over(partition_by=found.c.sha256, order_by=(preferred, repos.c.id))
    ranked = select(
        found.c.sha256.label("blob_sha256"), rank.label("holder_rank"), *repos.c
    ).join_from(found, repos, repos.c.id == found.c.repo_id)
    visible = visible_repos(query.user_id, see_all=query.see_all, restrict_to=query.restrict_to)
    if visible is not None:
        ranked = ranked.where(visible)
    cut = ranked.subquery("ranked")
    return (
        select(cut)
        .where(cut.c.holder_rank <= query.per_blob)
        .order_by(cut.c.blob_sha256, cut.c.holder_rank)
    )
