"""Cell text to typed values: dates and times, numbers, yes/no, names, revenue bands.

These run once per row for every mapped column, so each is a precompiled
pattern and a few integer conversions: no per-call guessing in the style of
dateutil. A value that cannot be read raises ValueError with a short message
saying what was expected; the converter reports it against the row's line
and column.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal

from leadloop.imports.fields import fold

DateOrder = Literal["dmy", "mdy", "ymd"]
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy", "ymd")
# The years a lead's dates may have, as everywhere else in leadloop.
MIN_YEAR, MAX_YEAR = 1900, 2200

# What spreadsheets and CRM exports write for "no value" in a typed column (an empty
# cell aside): read as empty in numbers, dates, yes/no, countries and head counts, so
# that a row is not refused for saying it does not know. Text keeps them as written.
_NO_VALUE = frozenset(
    {"n/a", "na", "n.a.", "#n/a", "none", "null", "nil", "nan", "unknown", "-", "--", "?"}
)


def no_value(text: str) -> bool:
    """Whether a cell says "no value" in words (see _NO_VALUE)."""
    return len(text) <= 8 and text.strip().casefold() in _NO_VALUE


_TIME = (
    r"(?:(?:[T ]|,\s*)\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*([AaPp]\.?\s?[Mm]\.?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
)
# 2024-03-14, 2024/03/14, 2024.03.14 (+ time). Year first is always y-m-d.
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
# 14.03.2024, 3/14/2024, 14-03-24 (+ time): day or month first, decided by the order.
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
# 14 Mar 2024, 14-Mar-24, 14. März 2024, Thu, 14 Mar 2024 10:22:00 +0000
_DAY_NAME = re.compile(
    r"(?:[^\W\d_]{2,9}\.?,?\s+)?(\d{1,2})\.?[ -]([^\W\d_]{3,9})\.?[ ,-]+(\d{4}|\d{2})" + _TIME
)
# Mar 14, 2024 / March 14th 2024 10:22 AM
_NAME_DAY = re.compile(r"([^\W\d_]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})" + _TIME)
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar jaen janv",
        "february feb februar febr fevrier fev",
        "march mar maerz marz mrz mars",
        "april apr avril avr",
        "may mai",
        "june jun juni juin",
        "july jul juli juillet juil",
        "august aug aout",
        "september sep sept",
        "october oct oktober okt octobre",
        "november nov novembre",
        "december dec dezember dez decembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_ORDER_TEXT = {
    "dmy": "day.month.year, e.g. 14.03.2024",
    "mdy": "month/day/year, e.g. 3/14/2024",
    "ymd": "year-month-day, e.g. 2024-03-14",
}


@lru_cache(maxsize=64)
def _offset(text: str) -> tzinfo:
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    if minutes >= 24 * 60:
        raise ValueError(f"'{text}' is not a time zone offset")
    return timezone(sign * timedelta(minutes=minutes))


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # the POSIX pivot: 69-99 are 1900s, 00-68 are 2000s
        year += 1900 if year >= 69 else 2000
    return year


def _build(
    text: str,
    year: int,
    month: int,
    day: int,
    time: tuple[str | None, ...],
    expected: str,
) -> tuple[datetime, bool]:
    """A naive or aware datetime from matched parts, and whether the text had a time."""
    hour_s, minute_s, second_s, fraction_s, ampm, zone_s = time
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"'{text}' has a year outside {MIN_YEAR}-{MAX_YEAR}")
    hour = minute = second = micro = 0
    if hour_s is not None and minute_s is not None:
        hour, minute = int(hour_s), int(minute_s)
        if ampm:
            if not 1 <= hour <= 12:
                raise ValueError(f"'{text}' has an hour that AM/PM cannot have")
            hour = hour % 12 + (12 if ampm[0] in "Pp" else 0)
        if second_s:
            second = int(second_s)
        if fraction_s:
            micro = int(fraction_s[:6].ljust(6, "0"))
    try:
        moment = datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            micro,
            tzinfo=_offset(zone_s) if zone_s else None,
        )
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date ({expected})") from None
    return moment, hour_s is not None


def _resolve_order(first: int, second: int, sep: str, order: str | None) -> str:
    if order in ("dmy", "mdy"):
        return order
    if sep == "." or first > 12:
        return "dmy"
    if second > 12:
        return "mdy"
    return "mdy" if sep == "/" else "dmy"


def parse_moment(text: str, order: str | None = None) -> tuple[datetime, bool]:
    """The date or date-time a cell holds, naive unless it names a zone; and whether it has a time.

    `order` ("dmy", "mdy" or "ymd") says how to read 03/04/2024; year-first
    text is always year-month-day. Without an order a '.' means day first,
    a part over 12 decides, and '/' is month first (the US habit).
    """
    text = text.strip()
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
        # ISO 8601: the C parser takes the common shapes in a tenth of a microsecond.
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if not MIN_YEAR <= moment.year <= MAX_YEAR:
                raise ValueError(f"'{text}' has a year outside {MIN_YEAR}-{MAX_YEAR}")
            return moment, len(text) > 10
    match = _YEAR_LAST.fullmatch(text)
    if match:
        first_s, sep, second_s, year_s, *time = match.groups()
        first, second = int(first_s), int(second_s)
        if order == "ymd" and len(year_s) == 2 and len(first_s) == 2:
            return _build(
                text, _year(first_s), second, int(year_s), tuple(time), _ORDER_TEXT["ymd"]
            )
        used = _resolve_order(first, second, sep, order)
        day, month = (first, second) if used == "dmy" else (second, first)
        return _build(text, _year(year_s), month, day, tuple(time), _ORDER_TEXT[used])
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year_s, _sep, month_s, day_s, *time = match.groups()
        return _build(text, int(year_s), int(month_s), int(day_s), tuple(time), _ORDER_TEXT["ymd"])
    match = _DAY_NAME.fullmatch(text)
    if match:
        day_s, month_name, year_s, *time = match.groups()
        named = _MONTHS.get(fold(month_name))
        if named:
            return _build(text, _year(year_s), named, int(day_s), tuple(time), "e.g. 14 Mar 2024")
    match = _NAME_DAY.fullmatch(text)
    if match:
        month_name, day_s, year_s, *time = match.groups()
        named = _MONTHS.get(fold(month_name))
        if named:
            return _build(text, int(year_s), named, int(day_s), tuple(time), "e.g. Mar 14, 2024")
    raise ValueError(
        f"'{text[:60]}' is not a date we can read; use e.g. 2024-03-14 10:22, "
        "14.03.2024 or 3/14/2024 10:22 AM"
    )


def parse_datetime(text: str, *, order: str | None = None, zone: tzinfo = UTC) -> datetime:
    """The instant a cell names, in UTC. A time without a zone is in `zone` (the team's)."""
    moment, _ = parse_moment(text, order)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_date_text(text: str, *, order: str | None = None, zone: tzinfo = UTC) -> str:
    """ISO text for a date attribute: '2024-03-14', or a UTC date-time when the cell had a time."""
    moment, has_time = parse_moment(text, order)
    if not has_time and moment.tzinfo is None:
        return date(moment.year, moment.month, moment.day).isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def guess_date_order(values: list[str] | tuple[str, ...]) -> str | None:
    """The order a column's dates are written in, from its sample; None if the sample cannot tell.

    A first part over 12 means day first, a second part over 12 month first,
    a '.' day first; a column whose dates are all year first is "ymd". When
    the sample contradicts itself (both kinds of evidence), None: the caller
    asks or keeps its default.
    """
    dmy = mdy = year_first = other = 0
    for value in values:
        text = value.strip()
        match = _YEAR_LAST.fullmatch(text)
        if match:
            first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
            if first > 12:
                dmy += 1
            elif second > 12:
                mdy += 1
            elif sep == ".":
                dmy += 1
            other += 1
        elif _YEAR_FIRST.fullmatch(text):
            year_first += 1
    if dmy and not mdy:
        return "dmy"
    if mdy and not dmy:
        return "mdy"
    if year_first and not other:
        return "ymd"
    return None


_CURRENCY = re.compile(
    r"^(?:[$€£¥₹]|USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|Fr\.)\s*"
    r"|\s*(?:[$€£¥₹]|USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|Fr\.)$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Thousands groups: the first group has no leading zero (0,123 is a decimal comma).
_COMMA_GROUPS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_DOT_GROUPS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_SPACE_GROUPS = re.compile(r"[1-9]\d{0,2}(?:['\u00a0\u202f ]\d{3})+(?:[.,]\d+)?")
_COMMA_DECIMAL = re.compile(r"\d+,\d+")


def parse_number(text: str) -> int | float:
    """A number as people write it: 1,234 / 1.234.567 / 1.234,5 / $1,200 / € 3.000,50 / 12% / 1e3.

    A single comma followed by exactly three digits is a thousands separator
    (1,234 is 1234); otherwise a lone comma is a decimal comma (1,5). A lone
    dot is always a decimal point. 12% is 12 (the number as written).
    Whole numbers come back as int.
    """
    raw = text
    text = text.strip()
    if _PLAIN.fullmatch(text):
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    else:
        text = _CURRENCY.sub("", text).strip()
        if text.endswith("%"):
            text = text[:-1].rstrip()
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1].strip()
        if text[:1] in "+-" and text:
            negative ^= text[0] == "-"
            text = text[1:].lstrip()
        text = _CURRENCY.sub("", text).strip()
        if _PLAIN.fullmatch(text):
            number = text
        elif _COMMA_GROUPS.fullmatch(text):
            number = text.replace(",", "")
        elif _DOT_GROUPS.fullmatch(text):
            number = text.replace(".", "").replace(",", ".")
        elif _SPACE_GROUPS.fullmatch(text):
            number = re.sub(r"['\u00a0\u202f ]", "", text).replace(",", ".")
        elif _COMMA_DECIMAL.fullmatch(text):
            number = text.replace(",", ".")
        else:
            raise ValueError(f"'{raw.strip()[:60]}' is not a number")
        value = float(number) if any(c in number for c in ".eE") else int(number)
        if negative:
            value = -value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{raw.strip()[:60]}' is not a finite number")
    return value


# fmt: off
_TRUE = frozenset({
    "true", "yes", "y", "1", "x", "ja", "j", "wahr", "oui", "vrai", "si", "sí", "sim", "on",
    "t", "checked", "✓", "✔",
})
_FALSE = frozenset({
    "false", "no", "n", "0", "nein", "falsch", "non", "faux", "off", "f", "unchecked", "nao",
    "não",
})
# fmt: on


def parse_bool(text: str) -> bool:
    """Yes or no as spreadsheets write it: true/false, yes/no, y/n, 1/0, x, ja/nein, oui/non."""
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"'{text.strip()[:60]}' is not yes or no (true/false, yes/no, 1/0)")


# Annual revenue bands, the lead's revenue_band values, by their upper bound.
REVENUE_BANDS: tuple[tuple[float, str], ...] = (
    (1e6, "< 1M"),
    (1e7, "1M-10M"),
    (5e7, "10M-50M"),
    (2.5e8, "50M-250M"),
    (1e9, "250M-1B"),
    (math.inf, "> 1B"),
)


def revenue_band(amount: float) -> str:
    """The band an annual revenue falls in (Salesforce AnnualRevenue is a number)."""
    if amount < 0:
        raise ValueError("a revenue cannot be negative")
    for upper, band in REVENUE_BANDS:
        if amount < upper:
            return band
    return REVENUE_BANDS[-1][1]


_RANGE = re.compile(r"(\d[\d,.' ]*)\s*(?:-|–|to|bis)\s*\d[\d,.' ]*|(\d[\d,.' ]*)\s*\+")  # noqa: RUF001


_DOT_GROUPS_ONLY = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")


def parse_count(text: str) -> int:
    """A head count: 250, 1,200, 1.200, or a range as CRMs export it (51-200, 10,001+: the lower
    bound)."""
    stripped = text.strip()
    if _DOT_GROUPS_ONLY.fullmatch(stripped):  # 1.200 people: a head count has no decimals
        stripped = stripped.replace(".", "")
    match = _RANGE.fullmatch(stripped)
    number = parse_number(match.group(1) or match.group(2)) if match else parse_number(stripped)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"'{stripped[:60]}' is not a whole number")
        number = int(number)
    if number < 0:
        raise ValueError(f"'{stripped[:60]}' is negative")
    return number


# fmt: off
_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ten", "ter",
    "zu", "dos", "das", "y",
})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md"})
# fmt: on


def split_full_name(text: str) -> tuple[str, str]:
    """First and last name from one cell: 'Last, First' or 'First Middle Last'.

    Middle names stay with the first name ('Mary Ann Smith' -> 'Mary Ann',
    'Smith'); particles and suffixes stay with the last ('Ana de la Cruz',
    'John Smith Jr.'); a single word is a last name (the one a greeting uses).
    """
    words = text.split()
    if "," in text and not (len(words) > 2 and words[-1].casefold() in _SUFFIXES):
        last, _, first = " ".join(words).partition(",")
        return first.strip(), last.strip()
    split = len(words) - 1
    while split > 1 and words[split].casefold().rstrip(",") in _SUFFIXES:
        split -= 1
    while split > 1 and words[split - 1] in _PARTICLES:
        split -= 1
    return " ".join(words[:split]), " ".join(words[split:]).replace(",", "")
