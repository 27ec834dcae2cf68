"""Shapes shared by every endpoint: errors, and times in UTC.

Times come in with any offset and are converted to UTC at the door
(`UtcDateTime`), so nothing below ever stores or compares two offsets; they
go out as UTC with a `Z` (`UtcJsonRenderer`), whichever offset the caller
sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Schema
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import AfterValidator, BeforeValidator, Field

from leadloop.lib.times import iso_utc, utc


def _iso_text(value: Any) -> Any:
    """Only an ISO 8601 text is a time here: a bare number is not read as a Unix time."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or "-" not in value or ":" not in value:
        raise ValueError("must be an ISO 8601 date-time with an offset, e.g. 2026-11-24T10:00:00Z")
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        return utc(value)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from None


UtcDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_to_utc)]

# An id a client sends: a row's primary key, which no database holds past 2^63 - 1
# (a larger number overflows in the driver: a 500 instead of a 422 naming the field).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class UtcJsonEncoder(NinjaJSONEncoder):
    """Every date-time as UTC `Z`, to the microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            return iso_utc(o)
        return super().default(o)


class UtcJsonRenderer(JSONRenderer):
    encoder_class = UtcJsonEncoder


class CheckedJsonParser(Parser):
    """The body `middleware.CleanInput` already parsed and checked, read once."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        checked = getattr(request, "json_body", None)
        if checked is not None:
            return dict(checked)
        return dict(super().parse_body(request))


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ValidationErrorOut(Schema):
    detail: list[FieldError]


class ConflictOut(Schema):
    detail: str
    stage: str | None = None
    action: str | None = None


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    # The server in front of the app refuses a request line over its limit (gunicorn: 4 KiB),
    # in its own words (HTML): no JSON body is promised.
    414: None,
    422: ValidationErrorOut,
    # Over a rate limit (per token, per address, refused tokens): Retry-After says when.
    429: ErrorOut,
}
