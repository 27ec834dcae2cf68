"""The kind of an unmapped column, and its cells as typed attribute values.

A column nobody mapped becomes a custom attribute. Stored typed (a number,
true/false, an ISO date, a category), reports and scoring can use it the way
they use the lead's own fields; stored as text they could only show it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, tzinfo

from leadloop.imports.values import no_value, parse_bool, parse_date_text, parse_number

_IDENTIFIER_WORDS = frozenset({"id", "zip", "postal", "postcode", "plz", "code", "vid"})
_WORDS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# A category is a column of few short values that repeat (a rating, a segment).
MAX_CATEGORIES = 20
MAX_CATEGORY_LENGTH = 40


def _all(parse: Callable[[str], object], values: Iterable[str]) -> bool:
    try:
        for value in values:
            parse(value)
    except ValueError:
        return False
    return True


def _identifier(header: str, values: list[str]) -> bool:
    """Digits that are a code, not a quantity: 02110, a 'Record ID', a postal code."""
    if any(len(v) > 1 and v[0] == "0" and v[1:2].isdigit() for v in values):
        return True  # a leading zero would be lost
    if any(sum(c.isdigit() for c in v) > 15 for v in values):
        return True  # past what a float holds exactly
    return bool(_IDENTIFIER_WORDS & set(_WORDS.findall(_CAMEL.sub(" ", header).casefold())))


def infer_kind(
    values: Iterable[str] | Mapping[str, int], *, order: str | None = None, header: str = ""
) -> str:
    """'boolean', 'number', 'date', 'category' or 'text' from a column's non-empty sample values.

    `values` is the sample (values may repeat) or a count per distinct value.
    Every value must read as the kind: yes/no words first, so a column of
    0 and 1 is boolean (a flag, not a measure; all 0 is a number); then numbers, then
    dates. Digits that are codes (a leading zero, more than 15 digits, or a
    `header` that says ID, zip or code) stay text. A column of at most 20
    distinct short values, each seen twice on average, is a category;
    anything else is text. An empty sample is text.
    """
    counts = Counter(values)  # a mapping is taken as counts, a sequence is counted
    distinct = [value for value in counts if value.strip()]
    if not distinct:
        return "text"
    # "n/a" or "unknown" among numbers is no value (the converter reads it as empty).
    known = [value for value in distinct if not no_value(value)]
    # Digits only as a flag when both 0 and 1 are there: a column that is all 0 in
    # the sample (a count of earlier contacts, say, in a file sorted by date) is a
    # number, and its later 2 or 3 must still read.
    if known and (
        _all(parse_bool, known)
        and not (all(value.strip().isdigit() for value in known) and len(known) < 2)
    ):
        return "boolean"
    if known and _all(parse_number, known):
        return "text" if _identifier(header, known) else "number"
    if known and _all(lambda text: parse_date_text(text, order=order), known):
        return "date"
    seen = sum(counts[value] for value in distinct)
    if (
        len(distinct) <= MAX_CATEGORIES
        and seen >= 2 * len(distinct)
        and max(len(value) for value in distinct) <= MAX_CATEGORY_LENGTH
    ):
        return "category"
    return "text"


def flag_or_count(text: str) -> bool | int | float:
    """A boolean column's cell: yes or no, or the number a 0/1 column turned out to
    count (its kind was read from the first rows; a later 3 is kept, not refused)."""
    try:
        return parse_bool(text)
    except ValueError as no:
        try:
            return parse_number(text)
        except ValueError:
            raise no from None


def typed_value(
    kind: str, text: str, *, order: str | None = None, zone: tzinfo = UTC
) -> str | int | float | bool:
    """A cell as the attribute value its column's kind stores; ValueError if it is not that kind.

    number: int or float; boolean: bool; date: ISO text (a date, or a UTC
    date-time when the cell has a time); category and text: the text itself.
    """
    if kind == "number":
        return parse_number(text)
    if kind == "boolean":
        return flag_or_count(text)
    if kind == "date":
        return parse_date_text(text, order=order, zone=zone)
    return text
