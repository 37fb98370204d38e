"""The demo load is one transaction. (Apart from tests/test_demo.py, whose module-wide
loaded database holds a connection that a fresh schema would wait for.)"""

import pytest
import sqlalchemy as sa

from webapp import demo
from webapp.db import db
from webapp.models import Lot, StockMovement, User


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_load_cut_off_midway_leaves_the_database_empty_and_loadable(app, monkeypatch):
    def power_cut(*_args):
        raise KeyboardInterrupt  # what a Ctrl-C or a stopped container leaves behind

    monkeypatch.setattr(demo, "_load_documents", power_cut)
    with pytest.raises(KeyboardInterrupt):
        demo.load()  # the users, bins, items and opening stock were written by now
    assert demo.is_empty()
    assert (count(StockMovement), count(User), count(Lot)) == (0, 0, 0)
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["load-demo", "--if-empty"])
    assert "Loaded the demo warehouse" in result.output, result.output
