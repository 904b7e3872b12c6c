"""Phone numbers as schools write them, stored as E.164, refused with a reason when unusable."""

import pytest
from flask_babel import force_locale

from portal.services.common.phones import InvalidPhone, display_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "9841234567",
        "+977-984-1234567",
        "977 9841234567",
        "०९८४१२३४५६७",
        "+977 (984) 123 4567",
        "00977 9841234567",
        " 984 123 4567 ",
        "९८४१२३४५६७",
    ],
)
def test_nepali_mobiles_written_any_common_way_become_e164(app, raw):
    assert normalize_phone(raw) == "+9779841234567"


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("9801234567", "+9779801234567"),  # Ncell
        ("9851234567", "+9779851234567"),  # NTC
        ("9611234567", "+9779611234567"),  # Smart
        ("+974 5512 3456", "+97455123456"),  # a parent working in Qatar
        ("+91 98765 43210", "+919876543210"),  # India
    ],
)
def test_other_mobiles_are_accepted(app, raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("98412", "too few or too many digits"),
        ("984123456789", "too few or too many digits"),
        ("01-4412345", "landline"),
        ("abc", "is not a phone number"),
        ("phone: nine", "is not a phone number"),
        ("", "missing"),
        ("   ", "missing"),
        (None, "missing"),
    ],
)
def test_unusable_numbers_are_refused_with_a_reason(app, raw, reason):
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    with force_locale("en"):
        assert reason in str(caught.value)


def test_a_refusal_names_the_number_as_typed(app):
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone("01-4412345")
    with force_locale("en"):
        assert "“01-4412345”" in str(caught.value)


def test_stored_numbers_are_shown_nationally_for_nepal_and_internationally_otherwise():
    assert display_phone("+9779841234567") == "984-1234567"
    assert display_phone("+97455123456").startswith("+974 ")
