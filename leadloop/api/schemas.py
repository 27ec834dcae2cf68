"""Shapes shared by every endpoint: errors and pages."""

from __future__ import annotations

from ninja import Schema


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
    422: ValidationErrorOut,
}
