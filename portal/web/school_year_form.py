"""The school-year settings form: the daily digest and cap, the absence escalation and the
monthly attendance summary."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from portal.services.school.school_year import MAX_ALERT_DAYS, MAX_CAP
from portal.web.forms import NumberField, TimeTextField


class OptionalTimeField(TimeTextField):
    """A time as HH:MM, or nothing (left empty)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class SchoolYearForm(FlaskForm):
    digest_at = OptionalTimeField(_l("Daily digest time"))
    daily_cap = NumberField(
        _l("Most messages a parent gets a day"),
        validators=[
            Optional(),
            NumberRange(1, MAX_CAP, _l("Choose from 1 to %(max)s messages.")),
        ],
    )
    absence_alert_days = NumberField(
        _l("School days absent in a row before teachers and admins are told"),
        validators=[
            InputRequired(_l("Enter a number of school days, such as 3.")),
            NumberRange(2, MAX_ALERT_DAYS, _l("Choose from 2 to %(max)s school days.")),
        ],
    )
    summary_on = BooleanField(_l("Send each guardian a monthly attendance summary"))
    summary_at = OptionalTimeField(_l("Time of the monthly summary"))

    def validate_summary_at(self, field):
        if self.summary_on.data and field.data is None:
            raise StopValidation(_l("Enter the time it goes, such as 10:00."))

    def values(self) -> dict:
        return {name: self[name].data for name in self._fields if name != "csrf_token"}
