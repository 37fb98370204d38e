"""floor documents and sign-in state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:55:39.552336

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('system_qty', sa.Integer(), nullable=False),
    sa.Column('counted_qty', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('matched', 'pending', 'approved', 'auto_approved', 'rejected', name='countstatus_values', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('last_movement_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('counted_qty >= 0', name='counted_qty_not_negative'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], ),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movement.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['count_task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.create_index('ix_count_line_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_count_line_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('count_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counted_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('count_task_counted_by_id_fkey', 'user', ['counted_by_id'], ['id'])
        batch_op.create_foreign_key('count_task_created_by_id_fkey', 'user', ['created_by_id'], ['id'])

    with op.batch_alter_table('pick_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_qty', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('pick_list', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('receipt_closed_by_id_fkey', 'user', ['closed_by_id'], ['id'])

    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_qty', sa.Integer(), nullable=True))
        # Autogenerate cannot see CHECK changes: unexpected items get expected_qty 0.
        batch_op.drop_constraint('expected_qty_positive', type_='check')
        batch_op.create_check_constraint('expected_qty_not_negative', 'expected_qty >= 0')

    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index('ix_movement_reference', ['reference', 'item_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('failed_signins', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_signins')
        batch_op.drop_column('session_version')

    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_movement_reference')

    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_constraint('expected_qty_not_negative', type_='check')
        batch_op.create_check_constraint('expected_qty_positive', 'expected_qty > 0')
        batch_op.drop_column('received_qty')

    with op.batch_alter_table('receipt', schema=None) as batch_op:
        # Dropping a column drops its foreign key (PostgreSQL; SQLite batch copy).
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('pick_list', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('assigned_at')

    with op.batch_alter_table('pick_line', schema=None) as batch_op:
        batch_op.drop_column('short_qty')

    with op.batch_alter_table('count_task', schema=None) as batch_op:
        # Dropping a column drops its foreign key (PostgreSQL; SQLite batch copy).
        # Dropping a column drops its foreign key (PostgreSQL; SQLite batch copy).
        batch_op.drop_column('counted_at')
        batch_op.drop_column('counted_by_id')
        batch_op.drop_column('created_by_id')

    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_line_task_id'))
        batch_op.drop_index('ix_count_line_status')

    op.drop_table('count_line')
