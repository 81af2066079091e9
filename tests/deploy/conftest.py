"""The rendered manifests, servers with the example Secret's credentials, and databases and pods
on them."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devstack.manifests import KUSTOMIZE_ROOT, Resource, environment, render, workload
from devstack.servers import MongoServer, PostgresServer, running_servers
from tests.deploy.local_cluster import Addresses, StartPod, address, database_on, pods_on

PRODUCTION = KUSTOMIZE_ROOT / "overlays" / "production"
PGBOUNCER = KUSTOMIZE_ROOT / "overlays" / "pgbouncer"


@pytest.fixture(scope="session")
def production() -> list[Resource]:
    """The production overlay as `kubectl kustomize` renders it, Secret from the example."""
    return render(PRODUCTION)


@pytest.fixture(scope="session")
def pgbouncer() -> list[Resource]:
    return render(PGBOUNCER)


@pytest.fixture(scope="session")
def deployment(production: list[Resource]) -> Resource:
    return workload(production, "Deployment")


@pytest.fixture(scope="session")
def job(production: list[Resource]) -> Resource:
    return workload(production, "Job")


@pytest.fixture(scope="session")
def web_env(production: list[Resource], deployment: Resource) -> dict[str, str]:
    """The web container's variables: the ConfigMap, then the example Secret."""
    return environment(production, deployment)


@pytest.fixture(scope="package")
def pod_servers(web_env: dict[str, str]) -> Iterator[tuple[PostgresServer, MongoServer]]:
    """PostgreSQL and MongoDB whose users and passwords are the manifests' own; these tests
    may stop them (and start them again)."""
    with running_servers(
        pg_user=web_env["POSTGRES_USER"],
        pg_password=web_env["POSTGRES_PASSWORD"],
        mongo_user=web_env["MONGO_USER"],
        mongo_password=web_env["MONGO_PASSWORD"],
    ) as servers:
        yield servers


@pytest.fixture(scope="package")
def addresses(
    web_env: dict[str, str], pod_servers: tuple[PostgresServer, MongoServer]
) -> Addresses:
    """The production overlay's database addresses, served by the throwaway servers."""
    postgres, mongo = pod_servers
    return {address(web_env, "POSTGRES"): postgres.port, address(web_env, "MONGO"): mongo.port}


@pytest.fixture
async def empty_database(addresses: Addresses, web_env: dict[str, str]) -> AsyncIterator[str]:
    async with database_on(addresses, web_env) as name:
        yield name


@pytest.fixture
def start_pod(
    addresses: Addresses, production: list[Resource], tmp_path: Path
) -> Iterator[StartPod]:
    with pods_on(addresses, production, tmp_path) as start:
        yield start
