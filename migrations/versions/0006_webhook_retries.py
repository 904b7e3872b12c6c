"""webhook events: an event whose items failed waits for its next try (retry_at)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("retry_at")
