"""daily digest and attendance: held deliveries indexed by their digest time, monthly
attendance summaries (a broadcast kind and its month), absence-streak alerts (the student
and the first day of the run)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:05:28.835397

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_KINDS = ('notice', 'homework', 'absence', 'event', 'emergency')
NEW_KINDS = (*OLD_KINDS, 'attendance')
HELD = sa.text("status = 'held'")


def upgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('student_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('since_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_alerts_student_id_students'), 'students', ['student_id'], ['id'])

    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_month', sa.JSON(), nullable=True))
        batch_op.alter_column('kind',
               existing_type=sa.Enum(*OLD_KINDS, name='broadcast_kind', native_enum=False),
               type_=sa.Enum(*NEW_KINDS, name='broadcast_kind', native_enum=False),
               existing_nullable=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_held', ['next_attempt_at'], unique=False, postgresql_where=HELD, sqlite_where=HELD)


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_held', postgresql_where=HELD, sqlite_where=HELD)

    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.alter_column('kind',
               existing_type=sa.Enum(*NEW_KINDS, name='broadcast_kind', native_enum=False),
               type_=sa.Enum(*OLD_KINDS, name='broadcast_kind', native_enum=False),
               existing_nullable=False)
        batch_op.drop_column('attendance_month')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_student_id_students'), type_='foreignkey')
        batch_op.drop_column('since_on')
        batch_op.drop_column('student_id')
