"""The servers and app process a fault-injection test works on."""

from dataclasses import dataclass

from devstack.app_process import AppProcess
from devstack.servers import MongoServer, PostgresServer


@dataclass
class Stack:
    """Servers these tests may stop or freeze (and must repair), and the app on them."""

    postgres: PostgresServer
    mongo: MongoServer
    app: AppProcess
    env: dict[str, str]
