"""Alembic: `upgrade head` builds the schema, and autogenerate finds no drift from the models.

Autogenerate does not compare CHECK constraints, so a second test compares them by name."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, inspect, text

from maillon.migrate import upgrade
from maillon.models import metadata


def _upgraded(tmp_path) -> str:
    """The URL of a database (a fresh schema on PostgreSQL) that ``upgrade head`` built."""
    url = os.environ.get("MAILLON_TEST_MIGRATIONS_URL") or f"sqlite:///{tmp_path / 'm.db'}"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migrations_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migrations_check"))
        engine.dispose()
        url += ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigrations_check"
    upgrade(url)
    return url


def test_upgrade_head_matches_the_models(tmp_path):
    engine = create_engine(_upgraded(tmp_path))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_head_has_the_models_check_constraints(tmp_path):
    engine = create_engine(_upgraded(tmp_path))
    inspector = inspect(engine)
    migrated = {(table, c["name"]) for table in inspector.get_table_names()
                for c in inspector.get_check_constraints(table)}
    engine.dispose()
    declared = {(table.name, c.name) for table in metadata.tables.values()
                for c in table.constraints if isinstance(c, CheckConstraint)}
    assert ("introductions", "ck_introductions_status_values") in declared
    assert declared <= migrated
