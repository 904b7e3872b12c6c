"""webhook events: a partial index of the queued ones (pending, no retry) in id order, so
taking the oldest reads only those; the (status, lease_until) index leaves them and the
processed ones out

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

QUEUED = "status = 'pending' AND retry_at IS NULL"
UNSETTLED = (
    "status IN ('processing', 'failed') OR (status = 'pending' AND retry_at IS NOT NULL)"
)


def upgrade():
    queued, unsettled = sa.text(QUEUED), sa.text(UNSETTLED)
    op.create_index(
        "ix_webhook_events_queue",
        "webhook_events",
        ["id"],
        postgresql_where=queued,
        sqlite_where=queued,
    )
    op.drop_index("ix_webhook_events_work", table_name="webhook_events")
    op.create_index(
        "ix_webhook_events_work",
        "webhook_events",
        ["status", "lease_until"],
        postgresql_where=unsettled,
    )


def downgrade():
    op.drop_index("ix_webhook_events_work", table_name="webhook_events")
    op.create_index("ix_webhook_events_work", "webhook_events", ["status", "lease_until"])
    op.drop_index("ix_webhook_events_queue", table_name="webhook_events")
