"""deliveries: partial indexes, so most status changes write fewer indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _partial(name, columns, where):
    condition = sa.text(where)
    op.create_index(name, "deliveries", columns, postgresql_where=condition, sqlite_where=condition)


def upgrade():
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_work")
        batch.drop_index("ix_deliveries_school_id")
        batch.drop_index("ix_deliveries_reply_to")
        batch.drop_index("ix_deliveries_inbound_message_id")
    _partial("ix_deliveries_due", ["next_attempt_at"], "status = 'pending'")
    _partial("ix_deliveries_leased", ["lease_until"], "status = 'sending'")
    _partial(
        "ix_deliveries_reply_to", ["to_phone", "purpose", "created_at"], "to_phone IS NOT NULL"
    )
    _partial(
        "ix_deliveries_inbound_message_id",
        ["inbound_message_id"],
        "inbound_message_id IS NOT NULL",
    )


def downgrade():
    for name in (
        "ix_deliveries_due",
        "ix_deliveries_leased",
        "ix_deliveries_reply_to",
        "ix_deliveries_inbound_message_id",
    ):
        op.drop_index(name, table_name="deliveries")
    op.create_index("ix_deliveries_work", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_school_id", "deliveries", ["school_id"])
    op.create_index("ix_deliveries_reply_to", "deliveries", ["to_phone", "purpose", "created_at"])
    op.create_index("ix_deliveries_inbound_message_id", "deliveries", ["inbound_message_id"])
