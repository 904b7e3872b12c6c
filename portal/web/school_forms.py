"""The operator's forms: adding a school with its WhatsApp setup, and its business portfolio."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.web.forms import _digits_only, _stripped, _stripped_or_none

OWN = "own"
NEW = "new"


class PortfolioForm(FlaskForm):
    """Which business portfolio (and so which messaging limit) a school shares."""

    portfolio = SelectField(_l("Business portfolio"), default=OWN)
    new_portfolio = StringField(
        _l("New portfolio's name"), filters=[_stripped], validators=[Length(max=200)]
    )

    def offer(self, portfolios) -> "PortfolioForm":
        self.portfolio.choices = [
            (OWN, str(_l("Its own (schools share a limit only when grouped)"))),
            *[(str(p.id), p.name) for p in portfolios],
            (NEW, str(_l("A new portfolio, named below"))),
        ]
        return self

    def validate_new_portfolio(self, field):
        if self.portfolio.data == NEW and not field.data:
            raise ValueError(_l("Name the new portfolio."))


class NewSchoolForm(PortfolioForm):
    """A school and its WhatsApp setup, as the operator enters them."""

    slug = StringField(
        _l("Short name (in web addresses)"),
        filters=[_stripped],
        validators=[DataRequired(_l("Enter a short name, such as janata.")), Length(max=63)],
    )
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
        _l("Access token"), filters=[_stripped_or_none], validators=[Length(max=2000)]
    )

    def validate_phone_number_id(self, field):
        if not field.data:
            raise ValueError(_l("Enter the phone number ID Meta shows."))
