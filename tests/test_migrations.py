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
    from tests.conftest import build_site
    from webapp.models import CountLine, CountTask

    with app.app_context():
        upgrade(revision="0004")
        site = build_site()
        for number in ("CT1", "CT2"):
            task = CountTask(number=number, location_id=site.a1.id)
            task.lines = [CountLine(item_id=site.widget.id, system_qty=5, counted_qty=4,
                                    status="pending")]
            db.session.add(task)
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
