"""audit log: who made each change (a portal user, a teacher, an API token, the command line
or Sandesh itself)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("actor", sa.String(16), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("teacher_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("api_token_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_audit_log_teacher_id_teachers", "teachers", ["teacher_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_audit_log_api_token_id_api_tokens", "api_tokens", ["api_token_id"], ["id"]
        )
    op.execute("UPDATE audit_log SET actor = 'user' WHERE user_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("fk_audit_log_api_token_id_api_tokens", type_="foreignkey")
        batch.drop_constraint("fk_audit_log_teacher_id_teachers", type_="foreignkey")
        batch.drop_column("api_token_id")
        batch.drop_column("teacher_id")
        batch.drop_column("actor")
