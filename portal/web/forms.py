"""Flask-WTF forms for the portal; labels and messages go through Babel."""

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from portal.lexicon import classnames
from portal.lexicon.classnames import section_latin
from portal.lexicon.numerals import to_ascii_digits
from portal.services.common.dates import current_bs_year
from portal.services.common.phones import InvalidPhone, normalize_phone


class LoginForm(FlaskForm):
    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


def _stripped(text: str | None) -> str:
    return (text or "").strip()


def _stripped_or_none(text: str | None) -> str | None:
    return (text or "").strip() or None


LANGUAGE_CHOICES = [SelectChoice("ne", _l("Nepali")), SelectChoice("en", _l("English"))]
GUARDIAN_LANGUAGE_CHOICES = [*LANGUAGE_CHOICES, SelectChoice("both", _l("Nepali and English"))]


class PhoneField(StringField):
    """A mobile number kept as typed; once validated, `e164` holds the form Sandesh stores."""

    e164 = None

    def pre_validate(self, form):
        try:
            self.e164 = normalize_phone(self.data)
        except InvalidPhone as error:
            raise StopValidation(str(error)) from None


class NumberField(IntegerField):
    """A whole number in ASCII or Devanagari digits, typed into a plain text box."""

    widget = widgets.TextInput()

    def process_formdata(self, valuelist):
        text = to_ascii_digits(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = int(text)
            except ValueError:
                raise ValueError(_l("Enter a number, such as 5.")) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript, easy on a phone)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RosterForm(FlaskForm):
    """A form whose fields (the CSRF token aside) are a roster service's keyword arguments."""

    def values(self) -> dict:
        return {
            name: field.e164 if isinstance(field, PhoneField) else field.data
            for name, field in self._fields.items()
            if name != "csrf_token"
        }


class GradeField(StringField):
    """A grade (`5`, `५`) or a level below grade 1 (`LKG`, `नर्सरी`), kept as its number."""

    def _value(self) -> str:
        if isinstance(self.data, int):
            return classnames.grade_name(self.data)
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        name = classnames.read(text)
        self.data = name.grade if name and not name.section else None
        if text and (self.data is None or not classnames.is_known_grade(self.data)):
            self.data = None
            raise ValueError(_l("Enter a grade from 1 to 12, or ECD, PG, Nursery, LKG or UKG."))


class ClassForm(RosterForm):
    grade = GradeField(_l("Grade"), validators=[InputRequired(_l("Enter the grade."))])
    section = StringField(
        _l("Section"),
        filters=[section_latin],
        validators=[Regexp(r"^[A-Z]{0,8}$", message=_l("Use letters only, such as A or B."))],
    )
    academic_year = NumberField(
        _l("Academic year (BS)"),
        default=current_bs_year,
        validators=[
            InputRequired(_l("Enter the academic year.")),
            NumberRange(2000, 2200, _l("Enter a Bikram Sambat year, such as 2082.")),
        ],
    )


class StudentForm(RosterForm):
    class_id = SelectField(_l("Class"), coerce=int)
    roll = NumberField(
        _l("Roll number"),
        validators=[
            InputRequired(_l("Enter the roll number.")),
            NumberRange(1, 9999, _l("The roll number is a number from 1 to 9999.")),
        ],
    )
    name = StringField(
        _l("Name in English letters"),
        filters=[_stripped],
        validators=[DataRequired(_l("Enter the student's name.")), Length(max=200)],
    )
    name_ne = StringField(
        _l("Name in Nepali"), filters=[_stripped_or_none], validators=[Length(max=200)]
    )


class GuardianForm(RosterForm):
    name = StringField(
        _l("Name"),
        filters=[_stripped],
        validators=[DataRequired(_l("Enter the guardian's name.")), Length(max=200)],
    )
    phone = PhoneField(_l("Mobile number"))
    language = SelectField(_l("Language of notices"), choices=GUARDIAN_LANGUAGE_CHOICES)


class GuardianLinkForm(RosterForm):
    phone = PhoneField(_l("Mobile number"))
    name = StringField(
        _l("Name (for a new guardian)"), filters=[_stripped], validators=[Length(max=200)]
    )
    language = SelectField(
        _l("Language of notices (for a new guardian)"), choices=GUARDIAN_LANGUAGE_CHOICES
    )
    relation = StringField(_l("Relation"), filters=[_stripped], validators=[Length(max=40)])
    receives_notices = BooleanField(_l("Receives notices"), default=True)


class TeacherForm(RosterForm):
    name = StringField(
        _l("Name"),
        filters=[_stripped],
        validators=[DataRequired(_l("Enter the teacher's name.")), Length(max=200)],
    )
    phone = PhoneField(_l("Mobile number"))
    language = SelectField(_l("Language of replies"), choices=LANGUAGE_CHOICES)
    class_ids = MultiCheckboxField(_l("Classes"), coerce=int)


class ImportForm(FlaskForm):
    """A roster CSV to check, or to import; the two buttons say which."""

    file = FileField(
        _l("Roster file (CSV)"),
        validators=[
            FileRequired(_l("Choose the CSV file to import.")),
            FileAllowed(["csv", "txt"], _l("Choose a .csv file (saved as “CSV UTF-8”).")),
        ],
    )
    check = SubmitField(_l("Check only"))
    save = SubmitField(_l("Import"))


class TimeTextField(StringField):
    """A time of day typed as HH:MM (ASCII or Devanagari digits) into a plain text box."""

    PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist):
        text = to_ascii_digits(valuelist[0]).strip() if valuelist else ""
        match = self.PATTERN.match(text)
        self.data = time(int(match[1]), int(match[2])) if match else None
        if not match:
            raise ValueError(_l("Enter a time as HH:MM, such as 21:00."))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def _digits_or_none(text: str | None) -> str | None:
    return to_ascii_digits(text or "").strip() or None


class PriceField(StringField):
    """A price per message, such as 0.95 (ASCII or Devanagari digits); blank for none."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        text = to_ascii_digits(valuelist[0] if valuelist else "").strip().replace(",", "")
        self.data = None
        if not text:
            return
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            raise ValueError(_l("Enter a price such as 0.95.")) from None
        if not self.data.is_finite() or not 0 <= self.data <= 100_000:
            self.data = None
            raise ValueError(_l("Enter a price from 0 to 100,000."))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def _digits_only(label):
    return StringField(
        label,
        filters=[_digits_or_none],
        validators=[
            Length(max=64),
            Regexp(r"^\d*$", message=_l("Use the number Meta shows: digits only.")),
        ],
    )


class SettingsForm(RosterForm):
    """The school's own settings; the access token is write-only (blank keeps it)."""

    name = StringField(
        _l("School name in English"),
        filters=[_stripped],
        validators=[DataRequired(_l("Enter the school's name.")), Length(max=200)],
    )
    name_ne = StringField(
        _l("School name in Nepali"), filters=[_stripped_or_none], validators=[Length(max=200)]
    )
    phone_number_id = _digits_only(_l("WhatsApp phone number ID"))
    waba_id = _digits_only(_l("WhatsApp Business Account ID"))
    access_token = PasswordField(
        _l("New access token"), filters=[_stripped_or_none], validators=[Length(max=2000)]
    )
    remove_token = BooleanField(_l("Remove the access token"))
    quiet_start = TimeTextField(_l("Quiet hours start"))
    quiet_end = TimeTextField(_l("Quiet hours end"))
    require_confirmation = BooleanField(_l("Teachers confirm with YES before a message is sent"))
    teachers_may_target_any = BooleanField(_l("Teachers may message any class, not only their own"))
    template_fallback_language = SelectField(
        _l("Template fallback language"), choices=LANGUAGE_CHOICES
    )
    long_notice_form = SelectField(
        _l("Long notices outside the 24-hour window"),
        choices=[
            SelectChoice("all", _l("Every part at once, each an approved template")),
            SelectChoice("more", _l("The opening, and the rest when the parent replies MORE")),
        ],
    )
    max_image_mb = NumberField(
        _l("Largest photo, in MB"),
        validators=[
            Optional(),
            NumberRange(1, 5, _l("Choose from 1 to %(max)s MB (Meta's limit).")),
        ],
    )
    max_document_mb = NumberField(
        _l("Largest PDF, in MB"),
        validators=[
            Optional(),
            NumberRange(1, 100, _l("Choose from 1 to %(max)s MB (Meta's limit).")),
        ],
    )
    price_utility = PriceField(_l("Utility (templates outside the 24-hour window)"))
    price_service = PriceField(_l("Service (replies inside the 24-hour window)"))
    price_marketing = PriceField(_l("Marketing"))
    price_authentication = PriceField(_l("Authentication"))

    def validate_remove_token(self, field):
        if field.data and self.access_token.data:
            raise StopValidation(_l("Enter a new token or remove the token, not both."))
