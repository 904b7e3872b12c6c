"""fan-out in parts: when a broadcast's deliveries were all made (the senders start on the
first part; a broadcast is complete only once this is set, and the sweeper finishes a
fan-out a dead worker left half done)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True))
    # Every broadcast started so far was fanned out whole, in the transaction that started it.
    op.execute("UPDATE broadcasts SET fanned_out_at = started_at WHERE started_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('fanned_out_at')
