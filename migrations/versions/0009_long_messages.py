"""deliveries: the later parts of a long message (first_id, part, parts); schools: how a long
notice goes outside the 24-hour window (long_notice_form)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("first_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("part", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("parts", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_first_id_deliveries", "deliveries", ["first_id"], ["id"]
        )
    condition = sa.text("first_id IS NOT NULL")
    op.create_index(
        "ix_deliveries_first",
        "deliveries",
        ["first_id", "part"],
        postgresql_where=condition,
        sqlite_where=condition,
    )
    with op.batch_alter_table("schools") as batch:
        batch.add_column(
            sa.Column("long_notice_form", sa.String(8), nullable=False, server_default="all")
        )


def downgrade():
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("long_notice_form")
    op.drop_index("ix_deliveries_first", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("fk_deliveries_first_id_deliveries", type_="foreignkey")
        batch.drop_column("parts")
        batch.drop_column("part")
        batch.drop_column("first_id")
