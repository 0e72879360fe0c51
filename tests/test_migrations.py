"""The migrated schema matches the models exactly, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from community import migrate
from community.extensions import db
from community.models import Base


def test_autogenerate_finds_no_difference_between_models_and_migrations(app, db_backend):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ on {db_backend}: {differences}"


def test_database_is_at_the_single_head(app):
    assert migrate.head_revision() is not None
    assert migrate.is_at_head(db.engine)


def test_upgrade_to_head_creates_every_table_from_empty(tmp_path):
    from sqlalchemy import create_engine, inspect

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate.upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    assert migrate.is_at_head(engine)
    engine.dispose()
