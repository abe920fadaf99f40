"""The SQL catalog's side of the deployment identity, on every database: one row, claimed once.

Only SQL catalogs hold a deployment id: a memory catalog keeps nothing across restarts, so it
has no identity to check a blob store against."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError
from tests.catalogs import SqlBackend, open_sql_backend
from tests.contract.catalog.samples import make_repo, make_user

from weighthouse.domain.model import DeploymentRecord, Repo
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.deployment import SqlDeploymentCatalog
from weighthouse.metadata.tables import deployment

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def sql_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlBackend]:
    name = str(request.param)
    with open_sql_backend(name, tmp_path_factory.mktemp(name)) as backend:
        yield backend


@pytest.fixture
def catalog(sql_backend: SqlBackend) -> SqlCatalog:
    return sql_backend.empty()


@pytest.fixture
def catalog_engine(sql_backend: SqlBackend, catalog: SqlCatalog) -> Engine:
    return sql_backend.engine


@pytest.fixture
def repo(catalog: SqlCatalog) -> Repo:
    user = make_user()
    catalog.add_user(user)
    stored = make_repo(user)
    catalog.add_repo(stored)
    return stored


@pytest.fixture
def identity(catalog: SqlCatalog, catalog_engine: Engine) -> SqlDeploymentCatalog:
    return SqlDeploymentCatalog(catalog_engine)


def test_the_first_claim_wins_and_later_ones_read_it(identity: SqlDeploymentCatalog) -> None:
    assert identity.deployment() is None
    first = identity.claim_deployment(DeploymentRecord("a" * 32, NOW))
    assert first == DeploymentRecord("a" * 32, NOW) == identity.deployment()
    assert identity.claim_deployment(DeploymentRecord("b" * 32, NOW)) == first


def test_concurrent_claims_agree_on_one_id(identity: SqlDeploymentCatalog) -> None:
    candidates = [DeploymentRecord(f"{n:032x}", NOW) for n in range(8)]
    with ThreadPoolExecutor(len(candidates)) as pool:
        results = set(pool.map(identity.claim_deployment, candidates))
    assert len(results) == 1 and results == {identity.deployment()}


def test_marking_the_store_keeps_the_first_time_and_only_for_its_own_id(
    identity: SqlDeploymentCatalog,
) -> None:
    identity.claim_deployment(DeploymentRecord("a" * 32, NOW))
    identity.mark_store("b" * 32, NOW)
    assert identity.deployment() == DeploymentRecord("a" * 32, NOW)
    identity.mark_store("a" * 32, NOW + timedelta(seconds=1))
    identity.mark_store("a" * 32, NOW + timedelta(seconds=2))
    stored = identity.deployment()
    assert stored is not None and stored.store_marked_at == NOW + timedelta(seconds=1)


def test_the_table_holds_one_row_at_most(
    identity: SqlDeploymentCatalog, catalog_engine: Engine
) -> None:
    identity.claim_deployment(DeploymentRecord("a" * 32, NOW))
    # MariaDB reports a failed CHECK as an operational error, the others as an integrity one.
    with pytest.raises(DBAPIError, match="single_row"), catalog_engine.begin() as connection:
        connection.execute(insert(deployment).values(slot=2, id="b" * 32, created_at=NOW))


def test_holds_repos(identity: SqlDeploymentCatalog, catalog: SqlCatalog, repo: Repo) -> None:
    assert identity.holds_repos()
    catalog.delete_repo(repo.id)
    assert not identity.holds_repos()
