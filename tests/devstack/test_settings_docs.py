"""docs/settings.md's table and .env.example are what `just docs` renders from `Settings`."""

from app.core.config import Settings
from devstack.settings_docs import (
    ENV_EXAMPLE,
    SETTINGS_DOC,
    env_example,
    settings_doc_with_table,
    settings_table,
)


def test_settings_doc_holds_the_current_table() -> None:
    text = SETTINGS_DOC.read_text()

    assert settings_table() in text
    assert settings_doc_with_table(text) == text, "run `just docs`"


def test_env_example_is_the_rendered_one() -> None:
    assert ENV_EXAMPLE.read_text() == env_example(), "run `just docs`"


def test_every_setting_has_a_description_and_a_table_row() -> None:
    table = settings_table()

    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"| `{name}` |" in table
