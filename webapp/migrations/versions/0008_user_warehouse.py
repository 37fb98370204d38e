"""users name the warehouse they work in, whose work the floor lists

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite cannot add a constraint to a table, but takes one with a new column; a batch
    # copy of user would trip over the many foreign keys naming it (as in 0007).
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE "user" ADD COLUMN warehouse_id INTEGER REFERENCES warehouse (id)')
        return
    op.add_column("user", sa.Column("warehouse_id", sa.Integer(), nullable=True))
    op.create_foreign_key("user_warehouse_id_fkey", "user", "warehouse", ["warehouse_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("user", "warehouse_id")  # and its constraint
        return
    # SQLite drops no column a constraint names: copy the table, with the checks of the
    # foreign keys naming user off meanwhile (outside a transaction, as the pragma needs).
    op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("warehouse_id")
    op.execute("PRAGMA foreign_keys=ON")
