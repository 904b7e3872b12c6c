"""The templates settings form: the Meta template name and its approval for every shipped
purpose in every language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from portal.services.wording.template_texts import LANGUAGES as TEMPLATE_LANGUAGES
from portal.services.wording.template_texts import PURPOSES as TEMPLATE_PURPOSES


def stripped(text: str | None) -> str:
    return (text or "").strip()


class TemplatesForm(FlaskForm):
    """The Meta template name and its approval for every purpose in every language."""

    def values(self) -> dict[tuple[str, str], tuple[str, bool]]:
        return {
            (purpose, lang): (
                self[f"{purpose}_{lang}_name"].data,
                self[f"{purpose}_{lang}_approved"].data,
            )
            for purpose in TEMPLATE_PURPOSES
            for lang in TEMPLATE_LANGUAGES
        }


for _purpose in TEMPLATE_PURPOSES:
    for _lang in TEMPLATE_LANGUAGES:
        setattr(
            TemplatesForm,
            f"{_purpose}_{_lang}_name",
            StringField(
                _l("Meta template name"),
                filters=[stripped],
                validators=[
                    DataRequired(_l("Enter the template's name.")),
                    Length(max=512, message=_l("At most 512 characters.")),
                    Regexp(
                        r"^[a-z0-9_]+$",
                        message=_l("Use lowercase letters, digits and underscores only."),
                    ),
                ],
            ),
        )
        setattr(TemplatesForm, f"{_purpose}_{_lang}_approved", BooleanField(_l("Approved")))
del _purpose, _lang
