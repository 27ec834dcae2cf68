from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.imports.values import (
    guess_date_order,
    parse_bool,
    parse_count,
    parse_date_text,
    parse_datetime,
    parse_number,
    revenue_band,
    split_full_name,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # ISO 8601, with and without zone
        ("2024-03-14T10:22:00Z", None, datetime(2024, 3, 14, 10, 22, tzinfo=UTC)),
        ("2024-03-14T10:22:00.000+0000", None, datetime(2024, 3, 14, 10, 22, tzinfo=UTC)),
        ("2024-03-14T11:22:00+01:00", None, datetime(2024, 3, 14, 10, 22, tzinfo=UTC)),
        ("2024-03-14T10:22:00", None, datetime(2024, 3, 14, 9, 22, tzinfo=UTC)),
        ("2024-03-14 10:22:00 UTC", None, datetime(2024, 3, 14, 10, 22, tzinfo=UTC)),
        ("2024-03-14", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        # Salesforce reports (US), HubSpot, Pipedrive
        ("3/14/2024 10:22 AM", "mdy", datetime(2024, 3, 14, 9, 22, tzinfo=UTC)),
        ("3/14/2024, 10:22 PM", None, datetime(2024, 3, 14, 21, 22, tzinfo=UTC)),
        ("3/14/2024", "mdy", datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("2024-03-14 10:22", None, datetime(2024, 3, 14, 9, 22, tzinfo=UTC)),
        ("2024-03-14 10:22:33", None, datetime(2024, 3, 14, 9, 22, 33, tzinfo=UTC)),
        # German and British
        ("14.03.2024", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("14.03.2024 10:22", "dmy", datetime(2024, 3, 14, 9, 22, tzinfo=UTC)),
        ("14/03/2024", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("03/04/2024", "dmy", datetime(2024, 4, 2, 22, 0, tzinfo=UTC)),
        ("03/04/2024", "mdy", datetime(2024, 3, 3, 23, 0, tzinfo=UTC)),
        ("14.03.24", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("1.2.99", None, datetime(1999, 1, 31, 23, 0, tzinfo=UTC)),
        ("12/01/2024 12:05 AM", "mdy", datetime(2024, 11, 30, 23, 5, tzinfo=UTC)),
        ("24/03/14", "ymd", datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        # month names
        ("14 Mar 2024", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("14. März 2024", None, datetime(2024, 3, 13, 23, 0, tzinfo=UTC)),
        ("Mar 14, 2024 10:22 AM", None, datetime(2024, 3, 14, 9, 22, tzinfo=UTC)),
        ("Thu, 14 Mar 2024 10:22:00 +0000", None, datetime(2024, 3, 14, 10, 22, tzinfo=UTC)),
    ],
)
def test_dates_in_every_supported_shape(text: str, order: str | None, expected: datetime) -> None:
    assert parse_datetime(text, order=order, zone=BERLIN) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("45365", "not a date"),  # an Excel serial number as text
        ("31.02.2024", "not a valid date"),
        ("14/03/2024", "not a valid date"),  # with order=mdy below
        ("2024-13-01", "not a valid date"),
        ("1/1/1850", "outside 1900-2200"),
        ("1/1/2024 13:00 PM", "AM/PM"),
        ("next tuesday", "not a date"),
        ("2024-03-14T10:22:00+25:00", "not"),
    ],
)
def test_unreadable_dates_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_datetime(text, order="mdy", zone=BERLIN)


def test_a_naive_time_in_a_dst_change_gets_the_zones_offset() -> None:
    assert parse_datetime("2024-07-01 09:00", zone=NEW_YORK) == datetime(
        2024, 7, 1, 13, 0, tzinfo=UTC
    )
    assert parse_datetime("2024-01-02 09:00", zone=NEW_YORK) == datetime(
        2024, 1, 2, 14, 0, tzinfo=UTC
    )


def test_date_text_keeps_dates_as_dates_and_times_as_utc() -> None:
    assert parse_date_text("14.03.2024") == "2024-03-14"
    assert parse_date_text("14.03.2024 10:22", zone=BERLIN) == "2024-03-14T09:22:00Z"


moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2150, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)


@given(moments)
def test_every_format_reads_back_what_was_written(moment: datetime) -> None:
    minute = moment.replace(second=0)
    hour12 = moment.hour % 12 or 12
    ampm = "AM" if moment.hour < 12 else "PM"
    written = {
        moment.isoformat() + "Z": (moment, None),
        moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"): (moment, None),
        moment.strftime("%Y-%m-%d %H:%M"): (minute, None),
        moment.strftime("%Y-%m-%d %H:%M:%S"): (moment, None),
        f"{moment.month}/{moment.day}/{moment.year} {hour12}:{moment.minute:02d} {ampm}": (
            minute,
            "mdy",
        ),
        moment.strftime("%d.%m.%Y %H:%M"): (minute, "dmy"),
        moment.strftime("%d/%m/%Y"): (minute.replace(hour=0, minute=0), "dmy"),
        moment.strftime("%m/%d/%Y"): (minute.replace(hour=0, minute=0), "mdy"),
    }
    for text, (expected, order) in written.items():
        assert parse_datetime(text, order=order, zone=UTC) == expected.replace(tzinfo=UTC), text


@given(moments, st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_offsets_in_the_text_win_over_the_zone(moment: datetime, minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}{rest:02d}"
    assert parse_datetime(text, zone=BERLIN) == (moment - offset).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["03/04/2024", "14/03/2024"], "dmy"),
        (["03/04/2024", "03/14/2024 10:22 AM"], "mdy"),
        (["01.02.2024"], "dmy"),
        (["2024-03-01", "2024-03-02T10:00:00Z"], "ymd"),
        (["01/02/2024", "03/04/2024"], None),
        (["13/01/2024", "01/13/2024"], None),
        ([], None),
        (["2024-03-01", "14.03.2024"], "dmy"),
    ],
)
def test_date_order_is_guessed_from_the_column(values: list[str], order: str | None) -> None:
    assert guess_date_order(values) == order


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1234", 1234),
        ("-12", -12),
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("1.234.567", 1234567),
        ("1.234,5", 1234.5),
        ("1,234.50", 1234.5),
        ("1,5", 1.5),
        ("0,123", 0.123),
        ("1.5", 1.5),
        ("$1,200", 1200),
        ("€ 3.000,50", 3000.5),
        ("3.000,00 €", 3000.0),
        ("EUR 12", 12),
        ("CHF 1'234.50", 1234.5),
        ("1 234 567,89", 1234567.89),
        ("1\u00a0234", 1234),
        ("12%", 12),
        ("12,5 %", 12.5),
        ("1e3", 1000.0),
        ("(1,234)", -1234),
        ("-$1,200", -1200),
    ],
)
def test_numbers_as_people_write_them(text: str, number: float) -> None:
    parsed = parse_number(text)
    assert parsed == number
    assert type(parsed) is type(number)


@pytest.mark.parametrize("text", ["1,2,3x", "1,2,3", "abc", "", "1..2", "12,34,5", "nan", "1e999"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="number"):
        parse_number(text)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_with_thousands_separators_read_back(number: int) -> None:
    assert parse_number(str(number)) == number
    assert parse_number(f"{number:,}") == number
    if abs(number) >= 1_000_000:
        assert parse_number(f"{number:,}".replace(",", ".")) == number
    assert parse_number(f"{number:,}".replace(",", " ")) == number


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_decimals_read_back_in_english_and_european_notation(number: object) -> None:
    english = f"{number:,.2f}"
    european = english.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_number(english) == pytest.approx(float(str(number)))
    assert parse_number(european) == pytest.approx(float(str(number)))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("Yes", True),
        ("Y", True),
        ("1", True),
        ("x", True),
        ("JA", True),
        ("wahr", True),
        ("oui", True),
        ("false", False),
        ("No", False),
        ("n", False),
        ("0", False),
        ("Nein", False),
        ("falsch", False),
        ("non", False),
    ],
)
def test_yes_and_no(text: str, value: bool) -> None:
    assert parse_bool(text) is value


def test_maybe_is_not_yes_or_no() -> None:
    with pytest.raises(ValueError, match="not yes or no"):
        parse_bool("maybe")


@pytest.mark.parametrize(
    ("text", "count"), [("250", 250), ("1,200", 1200), ("51-200", 51), ("10,001+", 10001)]
)
def test_head_counts_and_ranges(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["5.5", "-3", "many"])
def test_not_head_counts(text: str) -> None:
    with pytest.raises(ValueError, match=r"whole|negative|number"):
        parse_count(text)


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (0, "< 1M"),
        (999_999, "< 1M"),
        (1_000_000, "1M-10M"),
        (49_999_999.5, "10M-50M"),
        (50_000_000, "50M-250M"),
        (250_000_000, "250M-1B"),
        (5e9, "> 1B"),
    ],
)
def test_revenue_bands(amount: float, band: str) -> None:
    assert revenue_band(amount) == band


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("Ann Smith", "Ann", "Smith"),
        ("Mary Ann Smith", "Mary Ann", "Smith"),
        ("Smith, Mary Ann", "Mary Ann", "Smith"),
        ("Ana de la Cruz", "Ana", "de la Cruz"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("John Smith Jr.", "John", "Smith Jr."),
        ("Cher", "", "Cher"),
        ("  Ann   Smith ", "Ann", "Smith"),
    ],
)
def test_full_names_split_into_first_and_last(text: str, first: str, last: str) -> None:
    assert split_full_name(text) == (first, last)
