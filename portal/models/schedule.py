"""Recurring broadcasts: a rule (every day, some weekdays, or a Bikram Sambat day of the
month, at a Nepal time), from a date until a date; each occurrence becomes one broadcast."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import Timestamps, UTCDateTime

if TYPE_CHECKING:
    from portal.models.school import School


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"  # on the schedule's weekdays
    BS_MONTH = "bs_month"  # on a Bikram Sambat day of each month


class OnHoliday(StrEnum):
    SKIP = "skip"
    NEXT_SCHOOL_DAY = "next_school_day"


class ScheduleStatus(StrEnum):
    DRAFT = "draft"  # a teacher's, waiting for YES
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"  # stopped by someone, or past its last day


class RecurringSchedule(Timestamps, db.Model):
    """What to send, to whom, and when it recurs. `next_on`/`next_at` name the next
    occurrence (its own day, and when it goes after the holiday rule): the dispatcher
    claims it with a conditional update, and a broadcast is unique per schedule and day."""

    __tablename__ = "recurring_schedules"
    __table_args__ = (sa.Index("ix_recurring_schedules_due", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(
        sa.Enum(*ScheduleStatus, name="schedule_status", native_enum=False),
        default=ScheduleStatus.ACTIVE,
    )
    targets: Mapped[list] = mapped_column(sa.JSON, default=list)
    subject: Mapped[str | None] = mapped_column(sa.String(100))
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    body_ne: Mapped[str | None] = mapped_column(sa.Text)
    every: Mapped[str] = mapped_column(sa.Enum(*Every, name="schedule_every", native_enum=False))
    at: Mapped[time] = mapped_column(sa.Time)  # Nepal time
    weekdays: Mapped[list] = mapped_column(sa.JSON, default=list)  # 0 = Monday … 6 = Sunday
    bs_day: Mapped[int | None]
    on_holiday: Mapped[str] = mapped_column(
        sa.Enum(*OnHoliday, name="schedule_on_holiday", native_enum=False),
        default=OnHoliday.SKIP,
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    next_on: Mapped[date | None]
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missed: Mapped[int] = mapped_column(default=0)  # occurrences too late to send
    problem: Mapped[str | None] = mapped_column(sa.String(300))  # why the last one was not made
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    author_teacher_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teachers.id"))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped["School"] = relationship()

    @property
    def languages(self) -> list[str]:
        return [lang for lang, body in (("ne", self.body_ne), ("en", self.body_en)) if body]

    def __repr__(self) -> str:
        return f"<RecurringSchedule {self.id} {self.every} {self.status}>"
