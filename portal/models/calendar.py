"""The school calendar: holidays and other marked days, and the years pre-filled with
Nepal's public holidays."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import Timestamps, UTCDateTime, utcnow


class Holiday(Timestamps, db.Model):
    """A day or a range of days (inclusive) in the school's calendar: a public holiday, a
    term break, a local festival (`closed`: no school, recurring sends skip it), or a
    marked week such as exams (school open). `prefilled` ones came from Nepal's public
    holiday list, whose lunar dates are announced each year: the school checks them."""

    __tablename__ = "holidays"
    __table_args__ = (sa.Index("ix_holidays_school_days", "school_id", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    name: Mapped[str] = mapped_column(sa.String(200))
    name_ne: Mapped[str | None] = mapped_column(sa.String(200))
    closed: Mapped[bool] = mapped_column(default=True)
    prefilled: Mapped[bool] = mapped_column(default=False)

    def display_name(self, locale: str) -> str:
        return self.name_ne if locale == "ne" and self.name_ne else self.name

    def __repr__(self) -> str:
        return f"<Holiday {self.starts_on}–{self.ends_on} {self.name}>"


class HolidayYear(db.Model):
    """A Bikram Sambat year whose public holidays were pre-filled for a school: once, so a
    day the school removed does not come back."""

    __tablename__ = "holiday_years"

    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"), primary_key=True)
    bs_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
