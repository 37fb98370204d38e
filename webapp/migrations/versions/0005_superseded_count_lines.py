"""count lines that a newer count of the same bin, item and lot replaced are marked so

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BEFORE = ("matched", "pending", "approved", "auto_approved", "rejected")
AFTER = (*BEFORE, "superseded")

# Variances still waiting whose bin, item and lot were counted again since.
SUPERSEDED = """
UPDATE count_line SET status = 'superseded'
WHERE status = 'pending' AND EXISTS (
    SELECT 1 FROM count_line newer
    JOIN count_task newer_task ON newer_task.id = newer.task_id
    JOIN count_task this_task ON this_task.id = count_line.task_id
    WHERE newer.id > count_line.id
      AND newer_task.location_id = this_task.location_id
      AND newer.item_id = count_line.item_id
      AND (newer.lot_id = count_line.lot_id OR (newer.lot_id IS NULL AND count_line.lot_id IS NULL))
)
"""


def _allow(values):
    # Autogenerate cannot see CHECK changes: the enum's CHECK is replaced by hand.
    with op.batch_alter_table("count_line") as batch_op:
        batch_op.drop_constraint("countstatus_values", type_="check")
        batch_op.create_check_constraint(
            "countstatus_values", "status IN (%s)" % ", ".join(f"'{v}'" for v in values)
        )


def upgrade():
    _allow(AFTER)
    op.execute(SUPERSEDED)


def downgrade():
    op.execute("UPDATE count_line SET status = 'pending' WHERE status = 'superseded'")
    _allow(BEFORE)
