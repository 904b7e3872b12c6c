"""The recurring broadcast form: what (targets, kind, texts) and when (the rule)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.models import Every, Kind, OnHoliday
from portal.services.schedules.describe import weekday_name
from portal.services.schedules.schedules import KINDS
from portal.services.wording.parent_messages import KIND_LABELS
from portal.web.calendar_form import DayField
from portal.web.forms import TimeTextField

EVERY_LABELS = {
    Every.DAY: _l("Every day"),
    Every.WEEK: _l("Every week, on the days ticked"),
    Every.BS_MONTH: _l("Every month, on a Bikram Sambat day"),
}
ON_HOLIDAY_LABELS = {
    OnHoliday.SKIP: _l("Skip it"),
    OnHoliday.NEXT_SCHOOL_DAY: _l("Send it on the next school day"),
}
NEPAL_WEEK = (6, 0, 1, 2, 3, 4, 5)  # Sunday first


def _stripped(text: str | None) -> str:
    return (text or "").strip()


class WeekdaysField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScheduleForm(FlaskForm):
    targets = SelectMultipleField(_l("Send to"), choices=[], validate_choice=False)
    kind = RadioField(
        _l("Kind of message"),
        choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS],
        default=Kind.NOTICE,
    )
    subject = StringField(
        _l("Subject (for homework)"), filters=[_stripped], validators=[Length(max=100)]
    )
    body_ne = TextAreaField(_l("Message in Nepali"), filters=[_stripped])
    body_en = TextAreaField(_l("Message in English"), filters=[_stripped])
    every = RadioField(
        _l("Repeats"), choices=[SelectChoice(k, v) for k, v in EVERY_LABELS.items()], default="day"
    )
    at = TimeTextField(_l("Time (Nepal)"))
    weekdays = WeekdaysField(_l("Days of the week"), coerce=int, choices=[])
    bs_day = IntegerField(
        _l("Day of the month (Bikram Sambat)"),
        validators=[Optional(), NumberRange(1, 32, _l("Choose a day of the month from 1 to 32."))],
    )
    on_holiday = RadioField(
        _l("On a holiday"),
        choices=[SelectChoice(k, v) for k, v in ON_HOLIDAY_LABELS.items()],
        default=OnHoliday.SKIP,
    )
    starts_on = DayField(_l("From"))
    ends_on = DayField(_l("Until (optional)"))
    # This page's id: a second press of it opens the recurring broadcast the first made.
    submission = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekdays.choices = [(day, weekday_name(day)) for day in NEPAL_WEEK]

    def rule(self) -> dict:
        return {
            "every": self.every.data,
            "at": self.at.data,
            "weekdays": list(self.weekdays.data or []),
            "bs_day": self.bs_day.data,
            "on_holiday": self.on_holiday.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
        }

    def texts(self) -> dict:
        return {
            "kind": self.kind.data,
            "targets": list(self.targets.data or []),
            "subject": self.subject.data or None,
            "body_en": self.body_en.data,
            "body_ne": self.body_ne.data,
        }

    def add_error(self, error) -> None:
        """Show a service's complaint under the field it is about."""
        name = {"body_ne": "body_ne", "scheduled_at": "starts_on"}.get(error.field, error.field)
        target = self._fields.get(name or "")
        if target is None:
            self.form_errors.append(str(error))
        else:
            target.errors = [*target.errors, str(error)]
