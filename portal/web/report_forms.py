"""The reports settings form: the reach target, and who gets the weekly summary on
WhatsApp, on which day and at what Nepal time."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from portal.web.forms import NumberField, TimeTextField

WEEKDAYS = [  # Python's weekday numbers, in the order of a Nepali week (Sunday first)
    SelectChoice(6, _l("Sunday")),
    SelectChoice(0, _l("Monday")),
    SelectChoice(1, _l("Tuesday")),
    SelectChoice(2, _l("Wednesday")),
    SelectChoice(3, _l("Thursday")),
    SelectChoice(4, _l("Friday")),
    SelectChoice(5, _l("Saturday")),
]


class ReportSettingsForm(FlaskForm):
    reach_target = NumberField(
        _l("Reach target: guardians reached within 5 minutes, in percent"),
        validators=[
            InputRequired(_l("Enter a percentage, such as 97.")),
            NumberRange(50, 100, _l("Choose from %(min)s to %(max)s percent.")),
        ],
    )
    summary_teacher_id = SelectField(_l("Weekly summary to"), coerce=int, choices=[])
    summary_weekday = SelectField(_l("On"), coerce=int, choices=WEEKDAYS)
    summary_at = TimeTextField(_l("At (Nepal time)"))

    def set_teachers(self, teachers) -> None:
        """The school's active teachers to choose from, and nobody (0)."""
        self.summary_teacher_id.choices = [SelectChoice(0, _l("Nobody (no weekly summary)"))] + [
            SelectChoice(t.id, f"{t.name} ({t.phone})") for t in teachers
        ]

    def values(self) -> dict:
        return {name: self[name].data for name in self._fields if name != "csrf_token"}
