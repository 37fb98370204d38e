"""items name the zone their stock is put away in

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both databases, as in 0006: a batch copy of item would trip over
    # the foreign keys that name it.
    op.add_column(
        "item", sa.Column("zone", sa.String(20), server_default="", nullable=False)
    )


def downgrade():
    op.drop_column("item", "zone")
