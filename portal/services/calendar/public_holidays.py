"""Nepal's public holidays from the `holidays` package (country NP), in both languages,
for a Bikram Sambat year.

Two corrections are made to the package's list, both checked against the calendar Sandesh
shows everywhere (`nepali_datetime`): holidays fixed in the Bikram Sambat calendar are put
on their BS day (the package keeps some on an AD day, e.g. Prithvi Jayanti on 11 January
and Republic Day 2025 on 28 May, one day before Jestha 15), and two misspellings of its
Nepali names are mended. Lunar dates stay as the package has them: the government
announces them each year, and the school checks them in its calendar."""

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import nepali_datetime

from portal.services.common.dates import to_bs

# Holidays on a fixed Bikram Sambat day (month, day), by the package's English names.
BS_FIXED = {
    "Nepali New Year": (1, 1),
    "Republic Day": (2, 15),
    "Constitution Day": (6, 3),
    "Prithvi Jayanti": (9, 27),
    "Maghe Sankranti": (10, 1),
    "Martyr's Day": (10, 16),
    "National Democracy Day": (11, 7),
}
# The package's Nepali spellings mended: ा + े typed for ो, and द्वादशी (the twelfth day).
SPELLING = (("ाे", "ो"), ("दुवादशी", "द्वादशी"))


@dataclass(frozen=True)
class PublicHoliday:
    day: date
    name: str  # English
    name_ne: str


def bs_year_span(bs_year: int) -> tuple[date, date]:
    """The first and last AD day of a Bikram Sambat year."""
    first = nepali_datetime.date(bs_year, 1, 1).to_datetime_date()
    last = nepali_datetime.date(bs_year + 1, 1, 1).to_datetime_date() - timedelta(days=1)
    return first, last


def for_bs_year(bs_year: int) -> list[PublicHoliday]:
    """The public holidays of a Bikram Sambat year, by day."""
    first, last = bs_year_span(bs_year)
    years = list(range(first.year, last.year + 1))
    english = holidays.country_holidays("NP", years=years, language="en_US")
    nepali = holidays.country_holidays("NP", years=years, language="ne")
    found = []
    for day in sorted(english):
        for name, name_ne in zip(english.get_list(day), nepali.get_list(day), strict=False):
            on = _bs_day(name, day)
            if first <= on <= last:
                found.append(PublicHoliday(on, name, _mended(name_ne)))
    return sorted(found, key=lambda h: (h.day, h.name))


def _bs_day(name: str, day: date) -> date:
    """The day a BS-fixed holiday falls on in the Bikram Sambat calendar (nearest to the
    package's), or the package's own day."""
    if name not in BS_FIXED:
        return day
    month, bs_day = BS_FIXED[name]
    year = to_bs(day).year
    candidates = [
        nepali_datetime.date(y, month, bs_day).to_datetime_date()
        for y in (year - 1, year, year + 1)
    ]
    return min(candidates, key=lambda candidate: abs(candidate - day))


def _mended(name_ne: str) -> str:
    for wrong, right in SPELLING:
        name_ne = name_ne.replace(wrong, right)
    return name_ne
