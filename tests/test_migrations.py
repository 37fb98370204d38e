"""`flask db upgrade` builds exactly the schema the models describe, on both databases."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import make_app, postgres_url
from webapp.db import db


def _upgrade_and_compare(app):
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            index_names = _index_names(conn)
        assert diff == []
        assert "uq_balance_item_location_lot" in index_names
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def _index_names(conn):
    # Reflection skips expression indexes, so ask each database's catalogue.
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(conn.execute(sa.text(query)).scalars())


# Alembic cannot compare expression indexes and says so; _index_names checks ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
]


def _on_postgresql(tmp_path, check):
    """Run `check(app)` on an app whose PostgreSQL database is an empty schema of its own."""
    url = postgres_url()
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA migration_test"))
    try:
        check(make_app(tmp_path, url + "?options=-csearch_path%3Dmigration_test"))
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA migration_test CASCADE"))
        admin.dispose()


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    _upgrade_and_compare(make_app(tmp_path, f"sqlite:///{tmp_path}/m.db"))


def test_migrations_build_the_models_schema_on_postgresql(tmp_path):
    _on_postgresql(tmp_path, _upgrade_and_compare)


def _superseded_migration(app):
    """0005 marks waiting variances that a newer count of the bin replaced; its CHECK
    accepts the new status, and going back restores both."""
    from webapp.models import CountLine

    with app.app_context():
        site = _site_as_of(revision="0004")
        for number in ("CT1", "CT2"):
            task_id = _count_task_as_of_0005(number, site.a1.id, "manual")
            db.session.add(CountLine(task_id=task_id, item_id=site.widget.id, system_qty=5,
                                     counted_qty=4, status="pending"))
            db.session.commit()
        statuses = "SELECT status FROM count_line ORDER BY id"
        upgrade()
        assert db.session.scalars(sa.text(statuses)).all() == ["superseded", "pending"]
        db.session.commit()  # end the read, so the next one sees the downgrade
        downgrade(revision="0004")
        assert db.session.scalars(sa.text(statuses)).all() == ["pending", "pending"]
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("UPDATE count_line SET status = 'superseded'"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_the_superseded_status_migrates_both_ways_on_sqlite(tmp_path):
    _superseded_migration(make_app(tmp_path, f"sqlite:///{tmp_path}/m.db"))


def test_the_superseded_status_migrates_both_ways_on_postgresql(tmp_path):
    _on_postgresql(tmp_path, _superseded_migration)


def _site_as_of(revision: str):
    """The test site in a database at an earlier revision: made through today's models at
    the head, then taken down (each step down keeps the rows, losing the newer columns)."""
    from tests.conftest import build_site

    upgrade()
    site = build_site()
    db.session.remove()
    downgrade(revision=revision)
    return site


def _count_task_as_of_0005(number: str, location_id: int, source: str) -> int:
    """A count task row as the schema before 0006 has it (the model has moved on)."""
    return db.session.execute(
        sa.text(
            "INSERT INTO count_task (number, location_id, status, source, blind, created_at)"
            " VALUES (:number, :location, 'open', :source, :blind, CURRENT_TIMESTAMP)"
            " RETURNING id"
        ),
        {"number": number, "location": location_id, "source": source, "blind": True},
    ).scalar_one()


def _holds_picking_migration(app):
    """0006 moves "this bin is held from picking" out of a task's source into its own
    column: a short pick's task holds its bin, others do not; going back restores it."""
    with app.app_context():
        site = _site_as_of(revision="0005")
        _count_task_as_of_0005("CS1", site.a1.id, "short_pick")
        _count_task_as_of_0005("CT1", site.a2.id, "manual")
        db.session.commit()
        upgrade()
        rows = "SELECT number, source, holds_picking FROM count_task ORDER BY number"
        assert db.session.execute(sa.text(rows)).all() == [
            ("CS1", "short_pick", True),
            ("CT1", "manual", False),
        ]
        db.session.commit()
        downgrade(revision="0005")
        rows = "SELECT number, source FROM count_task ORDER BY number"
        assert db.session.execute(sa.text(rows)).all() == [
            ("CS1", "short_pick"),
            ("CT1", "manual"),
        ]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_picking_hold_migrates_both_ways_on_sqlite(tmp_path):
    _holds_picking_migration(make_app(tmp_path, f"sqlite:///{tmp_path}/m.db"))


def test_the_picking_hold_migrates_both_ways_on_postgresql(tmp_path):
    _on_postgresql(tmp_path, _holds_picking_migration)
