"""Alembic, driven from the app's settings. Nothing creates tables at runtime but this."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from .config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Objects Alembic should compare. Tables that belong to tools rather than models are skipped."""
    if type_ == "table" and name in IGNORED_TABLES:
        return False
    if type_ == "index" and name in IGNORED_INDEXES:
        return False
    return True


IGNORED_TABLES = frozenset({"alembic_version"})
# Made at runtime only where the pg_trgm extension can be had (search "did you mean").
IGNORED_INDEXES = frozenset({"ix_search_words_trgm"})


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def revision(engine: Engine, message: str, autogenerate: bool = True) -> None:
    command.revision(alembic_config(engine), message=message, autogenerate=autogenerate)


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
