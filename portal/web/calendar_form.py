"""The calendar's forms: a day or range, and a CSV file to import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from portal.services.calendar.calendar_csv import read_day


def _stripped(text: str | None) -> str:
    return (text or "").strip()


class DayField(StringField):
    """A date typed as AD (2025-10-20) or Bikram Sambat (2082-07-03), either digits."""

    def process_formdata(self, valuelist):
        text = _stripped(valuelist[0]) if valuelist else ""
        self.raw_data = [text]
        self.data = None
        if text:
            try:
                self.data = read_day(text)
            except ValueError as error:
                raise ValueError(str(error)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class HolidayForm(FlaskForm):
    starts_on = DayField(_l("First day"))
    ends_on = DayField(_l("Last day (for a range)"))
    name = StringField(_l("Name in English"), filters=[_stripped], validators=[Length(max=200)])
    name_ne = StringField(_l("Name in Nepali"), filters=[_stripped], validators=[Length(max=200)])
    closed = BooleanField(_l("School is closed (recurring messages skip these days)"), default=True)

    def values(self) -> dict:
        return {
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "name": self.name.data,
            "name_ne": self.name_ne.data,
            "closed": self.closed.data,
        }


class CalendarImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
