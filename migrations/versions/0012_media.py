"""media: photos and PDFs stored once per school (media_files, media_blobs), their uploads to
each sending number (media_uploads); broadcasts and inbound messages carry a file; schools
may lower the attachment limits

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"  # branched from 0009; follows main's head since the merge
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "media_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("image", "document", name="media_kind", native_enum=False),
            nullable=False,
        ),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("filename", sa.String(240), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("original_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("thumb_sha256", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("school_id", "sha256"),
    )
    op.create_index("ix_media_files_school_id", "media_files", ["school_id"])
    op.create_table(
        "media_uploads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_id", sa.String(128), nullable=True),
        sa.Column("uploaded_at", UTC, nullable=True),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("uploading_until", UTC, nullable=True),
        sa.Column("uploads", sa.Integer(), nullable=False),
        sa.UniqueConstraint("phone_number_id", "sha256"),
    )
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("media_file_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_broadcasts_media_file_id_media_files", "media_files", ["media_file_id"], ["id"]
        )
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("media_ref", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("media_file_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("media_error", sa.String(300), nullable=True))
        batch.add_column(
            sa.Column("awaits_caption", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_inbound_messages_media_file_id_media_files",
            "media_files",
            ["media_file_id"],
            ["id"],
        )
    with op.batch_alter_table("schools") as batch:
        batch.add_column(sa.Column("max_image_bytes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_document_bytes", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("max_document_bytes")
        batch.drop_column("max_image_bytes")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("fk_inbound_messages_media_file_id_media_files", type_="foreignkey")
        batch.drop_column("awaits_caption")
        batch.drop_column("media_error")
        batch.drop_column("media_file_id")
        batch.drop_column("media_ref")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_constraint("fk_broadcasts_media_file_id_media_files", type_="foreignkey")
        batch.drop_column("media_file_id")
    op.drop_table("media_uploads")
    op.drop_index("ix_media_files_school_id", "media_files")
    op.drop_table("media_files")
    op.drop_table("media_blobs")
