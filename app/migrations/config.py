"""Alembic's configuration, found by absolute path: commands work from any directory."""

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core.config import Settings

# alembic.ini sits at the project root, beside `app/` (in the image: /app/alembic.ini).
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(settings: Settings | None = None, *, configure_logging: bool = True) -> Config:
    """Alembic's `Config`; env.py connects with `settings`, or `get_settings()` when None."""
    config = Config(ALEMBIC_INI)
    config.attributes["settings"] = settings
    config.attributes["configure_logging"] = configure_logging
    return config


def head_revisions() -> set[str]:
    """The revisions the code's migrations end at (one, unless the history branches)."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
