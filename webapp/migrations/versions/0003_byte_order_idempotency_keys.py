"""idempotency keys in byte order on PostgreSQL

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite compares text bytewise already (BINARY); only PostgreSQL needs the change.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("stock_movement", "idempotency_key",
                        type_=sa.String(80, collation="C"), existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("stock_movement", "idempotency_key", type_=sa.String(80),
                        existing_nullable=False)
