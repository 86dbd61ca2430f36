"""Alembic: `upgrade head` builds the schema, and autogenerate finds no drift from the models."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from maillon.migrate import upgrade
from maillon.models import metadata


def test_upgrade_head_matches_the_models(tmp_path):
    url = os.environ.get("MAILLON_TEST_MIGRATIONS_URL") or f"sqlite:///{tmp_path / 'm.db'}"
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migrations_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migrations_check"))
        engine.dispose()
        url += ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigrations_check"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []
