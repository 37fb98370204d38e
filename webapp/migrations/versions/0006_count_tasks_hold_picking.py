"""count tasks say whether they hold their bin from picking, apart from who raised them

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both databases (SQLite 3.35+): a batch copy of count_task
    # would trip over count_line's foreign keys to it.
    op.add_column(
        "count_task",
        sa.Column("holds_picking", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Until now a short pick marked the bin's open task by setting its source.
    op.execute("UPDATE count_task SET holds_picking = true WHERE source = 'short_pick'")


def downgrade():
    op.execute(
        "UPDATE count_task SET source = 'short_pick' WHERE holds_picking AND status = 'open'"
    )
    op.drop_column("count_task", "holds_picking")
