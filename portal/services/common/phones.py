"""Phone numbers: whatever a school types, stored as E.164 (`+9779841234567`)."""

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberType

from portal.lexicon.numerals import to_ascii_digits

DEFAULT_REGION = "NP"
_MOBILE_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.UNKNOWN,
}


class InvalidPhone(ValueError):
    """A number that cannot receive WhatsApp messages; `str()` says why, in the reader's tongue."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a mobile number written any common way (Nepal unless a +code is given)."""
    text = to_ascii_digits((raw or "").strip())
    if not text:
        raise InvalidPhone(_l("The phone number is missing."))
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidPhone(_l("“%(raw)s” is not a phone number.", raw=raw)) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(_l("“%(raw)s” has too few or too many digits.", raw=raw))
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_l("“%(raw)s” is not a valid number in any country.", raw=raw))
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone(_l("“%(raw)s” is a landline; WhatsApp needs a mobile number.", raw=raw))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number written for people: national form for Nepal, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
