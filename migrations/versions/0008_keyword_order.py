"""guardians: when the STOP or START last applied was sent, so keywords apply in the order
parents sent them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("guardians") as batch:
        batch.add_column(
            sa.Column("subscription_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE guardians SET subscription_changed_at = opted_out_at")


def downgrade():
    with op.batch_alter_table("guardians") as batch:
        batch.drop_column("subscription_changed_at")
