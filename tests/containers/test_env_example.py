""".env.example lists every setting with its default."""

import re

import pytest

from app.core.config import Settings
from devstack.app_process import PROJECT_ROOT

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# compose.yaml gives MongoDB a root user; the app alone defaults to no credentials.
COMPOSE_ONLY_DEFAULTS = {"MONGO_USER", "MONGO_PASSWORD"}


def test_env_example_lists_every_setting() -> None:
    listed = re.findall(r"^(\w+)=", ENV_EXAMPLE.read_text(), re.M)

    assert set(Settings.model_fields) <= set(listed)
    assert len(listed) == len(set(listed))


@pytest.mark.usefixtures("clean_environment")
def test_env_example_values_are_the_app_defaults() -> None:
    example = Settings(_env_file=ENV_EXAMPLE).model_dump(exclude=COMPOSE_ONLY_DEFAULTS)
    defaults = Settings(_env_file=None).model_dump(exclude=COMPOSE_ONLY_DEFAULTS)

    assert example == defaults
