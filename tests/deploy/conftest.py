"""The rendered manifests, servers with the example Secret's credentials, and databases and pods
on them."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from app.core.config import Settings
from devstack.manifests import KUSTOMIZE_ROOT, Resource, environment, render, workload
from devstack.servers import MongoServer, PostgresServer, running_servers
from tests.databases import create_postgres_database, drop_mongo_database, drop_postgres_database
from tests.deploy.pod import Pod, pod_env

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


def on_servers(env: dict[str, str], servers: tuple[PostgresServer, MongoServer]) -> dict[str, str]:
    """`env` pointed at the servers: only hosts and ports change."""
    postgres, mongo = servers
    where = {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(postgres.port),
             "MONGO_HOST": "127.0.0.1", "MONGO_PORT": str(mongo.port)}  # fmt: skip
    assert set(where) <= set(env), "the manifests name every server setting"
    return {**env, **where}


def settings_of(env: dict[str, str]) -> Settings:
    """Settings of `env` alone: a URL in this process's environment must not win."""
    values = {k: v for k, v in env.items() if k in Settings.model_fields}
    return Settings.model_validate({"POSTGRES_URL": "", "MONGO_URL": "", **values})


@asynccontextmanager
async def database_on(
    servers: tuple[PostgresServer, MongoServer], web_env: dict[str, str]
) -> AsyncIterator[str]:
    """An existing, empty PostgreSQL database of its own (the Job's starting point); dropped
    afterwards, with the MongoDB database of the same name."""
    name = f"syncdesk_deploy_{secrets.token_hex(4)}"
    settings = settings_of(on_servers(web_env, servers))
    await create_postgres_database(settings, name)
    try:
        yield name
    finally:
        await drop_postgres_database(settings, name)
        await drop_mongo_database(settings, name)


StartPod = Callable[[Resource, str], Pod]


@contextmanager
def pods_on(
    servers: tuple[PostgresServer, MongoServer], resources: list[Resource], logs: Path
) -> Iterator[StartPod]:
    """Start a workload's container on the servers and a database; all stopped afterwards."""
    started: list[Pod] = []

    def start(resource: Resource, database: str) -> Pod:
        manifest_env = on_servers(environment(resources, resource), servers)
        env = pod_env(manifest_env, POSTGRES_DB=database, MONGO_DB=database)
        pod = Pod(resource, env, logs / f"pod-{len(started)}.log")
        started.append(pod)
        pod.start()
        return pod

    try:
        yield start
    finally:
        for pod in started:
            pod.terminate()


async def run_job(start_pod: StartPod, job: Resource, database: str) -> None:
    """The migration Job's container on `database`, to a successful end."""
    migrate = start_pod(job, database)
    status = await asyncio.to_thread(migrate.wait_exit, 60)
    assert status == 0, migrate.output()


@pytest.fixture
async def empty_database(
    pod_servers: tuple[PostgresServer, MongoServer], web_env: dict[str, str]
) -> AsyncIterator[str]:
    async with database_on(pod_servers, web_env) as name:
        yield name


@pytest.fixture
def start_pod(
    pod_servers: tuple[PostgresServer, MongoServer], production: list[Resource], tmp_path: Path
) -> Iterator[StartPod]:
    with pods_on(pod_servers, production, tmp_path) as start:
        yield start
