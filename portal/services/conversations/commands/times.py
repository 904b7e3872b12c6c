"""The `@ …` part of a command: when to send, read as Nepal time and returned in UTC.

`6:00`, `6pm`, `18:30`, `tomorrow 7am`, `भोलि बिहान ७ बजे`, `साढे ४ बजे`, `monday 10am`,
`2082-08-15 10:00` (Bikram Sambat from year 2070), `2025-12-01 10:00`, `मंसिर १५ गते`, `1 Dec`.
A clock time alone that has passed today means tomorrow; an explicit day in the past is refused.
An hour from 1 to 5 with no am/pm or part of the day is afternoon (`४ बजे` = 16:00): schools do
not send at 4 in the morning. A day with no time means 07:00.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import nepali_datetime

from portal.services.common import send_times
from portal.services.common.dates import NEPAL, to_bs
from portal.services.conversations.commands.words import fold

FIRST_BS_YEAR = 2070
DEFAULT_HOUR = 7
PART_HOURS = {"am": 7, "afternoon": 14, "pm": 18, "night": 20}

_MONTHS_AD = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
)  # fmt: skip
_MONTHS_BS = (
    ("बैशाख", "वैशाख", "baisakh", "baishakh"),
    ("जेठ", "जेष्ठ", "jestha", "jeth"),
    ("असार", "आषाढ", "asar", "ashad"),
    ("साउन", "श्रावण", "saun", "shrawan"),
    ("भदौ", "भाद्र", "bhadau", "bhadra"),
    ("असोज", "आश्विन", "asoj", "ashwin"),
    ("कात्तिक", "कार्तिक", "kartik", "kattik"),
    ("मंसिर", "मङ्सिर", "मङ्गसिर", "mangsir"),
    ("पुस", "पौष", "push", "poush"),
    ("माघ", "magh"),
    ("फागुन", "फाल्गुन", "falgun", "phagun"),
    ("चैत", "चैत्र", "chaitra", "chait"),
)
MONTHS = {
    **{name: ("ad", i) for i, names in enumerate(_MONTHS_AD, 1) for name in names},
    **{name: ("bs", i) for i, names in enumerate(_MONTHS_BS, 1) for name in names},
}

_WEEKDAYS = (
    ("monday", "mon", "सोमबार", "सोमवार", "sombar"),
    ("tuesday", "tue", "tues", "मंगलबार", "मङ्गलबार", "मंगलवार", "mangalbar"),
    ("wednesday", "wed", "बुधबार", "बुधवार", "budhbar"),
    ("thursday", "thu", "thur", "thurs", "बिहीबार", "बिहिबार", "बिहीवार", "bihibar"),
    ("friday", "fri", "शुक्रबार", "शुक्रवार", "sukrabar"),
    ("saturday", "sat", "शनिबार", "शनिवार", "sanibar"),
    ("sunday", "sun", "आइतबार", "आइतवार", "aitabar"),
)
_PARTS = {
    **dict.fromkeys(("am", "morning", "बिहान", "बिहानै", "bihana", "bihan"), "am"),
    **dict.fromkeys(("pm", "evening", "बेलुका", "बेलुकी", "साँझ", "सांझ", "beluka"), "pm"),
    **dict.fromkeys(("afternoon", "दिउँसो", "दिउसो", "diuso", "diusho"), "afternoon"),
    **dict.fromkeys(("night", "राति", "रात", "rati", "raati"), "night"),
}
_OFFSETS = {
    **dict.fromkeys(("today", "आज", "aaja", "aaj", "aja"), 0),
    **dict.fromkeys(("tomorrow", "tmrw", "tmr", "tomorow", "भोलि", "भोली", "bholi"), 1),
    **dict.fromkeys(("पर्सि", "पर्सी", "parsi"), 2),
}
_SHIFTS = {"साढे": 30, "sadhe": 30, "सवा": 15, "sawa": 15, "पौने": -15, "paune": -15}
WORDS = {
    **{word: ("part", part) for word, part in _PARTS.items()},
    **{word: ("offset", offset) for word, offset in _OFFSETS.items()},
    **{word: ("shift", shift) for word, shift in _SHIFTS.items()},
    **{word: ("weekday", i) for i, words in enumerate(_WEEKDAYS) for word in words},
    **dict.fromkeys(("noon", "midday"), ("clock", (12, 0, True))),
}
MARKERS = {
    "at", "on", "by", "this", "बजे", "baje", "बजेतिर", "बजेमा", "o'clock", "oclock", "hrs", "hr",
    "मा", "ma", "को", "ko", "तिर", "गते", "gate", "st", "nd", "rd", "th", "of",
}  # fmt: skip
_PHRASES = (("day after tomorrow", "parsi"), ("tonight", "today night"), ("a.m.", "am"),
            ("p.m.", "pm"), ("a.m", "am"), ("p.m", "pm"))  # fmt: skip

_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_DAY_NUMBER = re.compile(r"^\d{1,2}$")
_YEAR = re.compile(r"^\d{4}$")


class TimeError(ValueError):
    """A time that cannot be used; `code` is `bad_time`, `past_time` or `too_far`."""

    def __init__(self, code: str = "bad_time"):
        super().__init__(code)
        self.code = code


@dataclass
class _Spec:
    """What the words said, before it is turned into a moment."""

    day: date | None = None
    month_day: tuple | None = None  # (calendar, year or None, month, day)
    offset: int | None = None
    weekday: int | None = None
    part: str | None = None
    clock: tuple | None = None  # (hour, minute, written as 24-hour)
    shift: int | None = None


def parse_when(text: str, *, now: datetime) -> datetime:
    """The moment `text` names, in UTC; raises TimeError with a reason code."""
    tokens = _tokens(text)
    if not tokens:
        raise TimeError()
    spec = _Spec()
    for token in _take_month_day(tokens, spec):
        _read(token, spec)
    return _resolve(spec, now)


def _tokens(text: str) -> list[str]:
    text = fold(text)
    for phrase, replacement in _PHRASES:
        text = text.replace(phrase, replacement)
    text = re.sub(r"(\d)([^\d\s:./,-])", r"\1 \2", text)
    text = re.sub(r"([^\d\s:./,-])(\d)", r"\1 \2", text)
    tokens = (token.strip(".!।,;()") for token in re.split(r"[\s,]+", text))
    return [token for token in tokens if token]


def _take_month_day(tokens: list[str], spec: _Spec) -> list[str]:
    """Reads `15 Dec`, `Dec 15 2025`, `मंसिर १५ गते` and returns the other words."""
    at = next((i for i, token in enumerate(tokens) if token in MONTHS), None)
    if at is None:
        return tokens
    rest: list[str | None] = list(tokens)
    if at > 0 and _DAY_NUMBER.match(tokens[at - 1]):
        day_at = at - 1
    elif at + 1 < len(tokens) and _DAY_NUMBER.match(tokens[at + 1]):
        day_at = at + 1
    else:
        raise TimeError()
    calendar, month = MONTHS[tokens[at]]
    year, year_at = None, max(at, day_at) + 1
    if year_at < len(tokens) and _YEAR.match(tokens[year_at]):
        year, rest[year_at] = int(tokens[year_at]), None
    rest[at] = rest[day_at] = None
    _set(spec, "month_day", (calendar, year, month, int(tokens[day_at])))
    return [token for token in rest if token is not None]


def _read(token: str, spec: _Spec) -> None:
    if token in MARKERS:
        return
    if match := _YMD.match(token):
        _set(spec, "day", calendar_date(*map(int, match.groups())))
    elif match := _DMY.match(token):
        day, month, year = map(int, match.groups())
        _set(spec, "day", calendar_date(year, month, day))
    elif match := _CLOCK.match(token):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        written_24h = hour == 0 or hour > 12 or token.startswith("0")
        _set(spec, "clock", (hour, minute, written_24h))
    elif token in WORDS:
        _set(spec, *WORDS[token])
    else:
        raise TimeError()


def _set(spec: _Spec, field: str, value) -> None:
    if getattr(spec, field) is not None:
        raise TimeError()  # the same thing said twice: `today tomorrow`, `6pm 7pm`
    setattr(spec, field, value)


def calendar_date(year: int, month: int, day: int, calendar: str | None = None) -> date:
    """A date given as numbers: Bikram Sambat from year 2070 (or when said), else Gregorian."""
    try:
        if calendar == "bs" or (calendar is None and year >= FIRST_BS_YEAR):
            return nepali_datetime.date(year, month, day).to_datetime_date()
        return date(year, month, day)
    except (ValueError, OverflowError, KeyError, IndexError, TypeError):
        raise TimeError() from None


def _resolve(spec: _Spec, now: datetime) -> datetime:
    days_said = [spec.day, spec.month_day, spec.offset, spec.weekday]
    if sum(value is not None for value in days_said) > 1:
        raise TimeError()
    if spec.clock is None and spec.part is None and all(v is None for v in days_said):
        raise TimeError()
    minutes = _minutes(spec)
    day, explicit = _day(spec, now.astimezone(NEPAL), minutes)
    try:
        moment = (datetime.combine(day, time()) + timedelta(minutes=minutes)).replace(tzinfo=NEPAL)
        if moment <= now and explicit:
            raise TimeError("past_time")
        moment = moment if moment > now else moment + timedelta(days=1)
        send_times.check_send_time(moment, now=now)  # the one rule for every send time
    except OverflowError:  # a year such as 0001 or 9999
        raise TimeError() from None
    except send_times.SendTimeError as error:
        raise TimeError(error.code) from None
    return moment.astimezone(UTC)


def _minutes(spec: _Spec) -> int:
    """Minutes after midnight the clock words name."""
    if spec.clock is None:
        if spec.shift is not None:
            raise TimeError()
        return PART_HOURS.get(spec.part, DEFAULT_HOUR) * 60
    hour, minute, written_24h = spec.clock
    if minute > 59 or (spec.shift and minute):
        raise TimeError()
    if spec.part:
        hour = _with_part(hour, spec.part)
    elif not written_24h and 1 <= hour <= 5:
        hour += 12
    if hour > 24 or (hour == 24 and spec.part != "night"):
        raise TimeError()
    return hour * 60 + minute + (spec.shift or 0)


def _with_part(hour: int, part: str) -> int:
    """The 24-hour hour of `6 pm`, `बेलुका ६`, `राति १२` (midnight, the next day)."""
    if hour == 0 or hour > 23 or (hour > 12 and part == "am"):
        raise TimeError()
    if hour > 12:
        return hour
    if part == "am":
        return 0 if hour == 12 else hour
    if hour == 12:
        return 24 if part == "night" else 12
    if part == "afternoon" and hour == 11:
        return hour
    if part == "night" and hour <= 4:
        return hour
    return hour + 12


def _day(spec: _Spec, local_now: datetime, minutes: int) -> tuple[date, bool]:
    """The day meant, and whether it was said outright (so a past moment is an error)."""
    today = local_now.date()
    if spec.day is not None:
        return spec.day, True
    if spec.month_day is not None:
        return _month_day(spec.month_day, today), True
    if spec.offset is not None:
        return today + timedelta(days=spec.offset), True
    if spec.weekday is not None:
        clock = timedelta(minutes=minutes)
        for ahead in range(8):
            day = today + timedelta(days=ahead)
            start = datetime.combine(day, time(), tzinfo=NEPAL) + clock
            if day.weekday() == spec.weekday and start > local_now:
                return day, True
    return today, False


def _month_day(month_day: tuple, today: date) -> date:
    """`15 Dec` or `मंसिर १५` without a year: the next such day from today."""
    calendar, year, month, day = month_day
    if year is not None:
        return calendar_date(year, month, day, calendar)
    this_year = to_bs(today).year if calendar == "bs" else today.year
    first = calendar_date(this_year, month, day, calendar)
    return first if first >= today else calendar_date(this_year + 1, month, day, calendar)
