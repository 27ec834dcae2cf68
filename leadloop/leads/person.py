"""A lead's person and company fields: cleaned once, the same way for every way in.

Intake (the API, web forms), imports and edits all go through
`clean_lead_fields`, so "the same lead" (its identity keys) and "a valid
lead" mean the same thing whichever door a lead comes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from leadloop.leads import identity
from leadloop.leads.models import Lead

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "company",
    "industry",
    "employees",
    "revenue_band",
    "country",
    "region",
)
# The largest companies employ a few million; the column holds 2^31 - 1.
MAX_EMPLOYEES = 100_000_000
_MAX_LEN: dict[str, int] = {
    name: length
    for name in PERSON_FIELDS
    if (length := getattr(Lead._meta.get_field(name), "max_length", None))
}


def clean_lead_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate person and company fields one by one; ValidationError names each bad field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = data.get(name)
        if name == "employees":
            if value in (None, ""):
                out[name] = None
                continue
            try:
                number = int(value)
            except (TypeError, ValueError, OverflowError):
                errors[name] = "must be a whole number"
                continue
            if number < 0:
                errors[name] = "must not be negative"
            elif number > MAX_EMPLOYEES:
                errors[name] = f"must be at most {MAX_EMPLOYEES:,}"
            out[name] = number
            continue
        text = "" if value is None else str(value).strip()
        limit = _MAX_LEN.get(name)
        if limit and len(text) > limit:
            errors[name] = f"is longer than {limit} characters"
        elif "\x00" in text:
            errors[name] = "must not contain NUL characters"
        out[name] = text
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            errors["email"] = f"'{out['email']}' is not a valid email address"
    out["country"] = out["country"].upper()
    if out["country"] and (len(out["country"]) != 2 or not out["country"].isalpha()):
        errors["country"] = "must be a two-letter ISO country code, e.g. DE or US"
    if out["phone"]:
        try:
            out["phone_key"] = identity.phone_key(out["phone"], out["country"] or None)
        except identity.PhoneError as exc:
            errors["phone"] = str(exc)
    else:
        out["phone_key"] = ""
    if not out["email"] and not out["phone"]:
        errors.setdefault("email", "a lead needs an email or a phone number")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        errors["attributes"] = "must be an object of name: value"
    else:
        out["attributes"] = dict(attributes)
    if errors:
        raise ValidationError(errors)
    out["email_key"] = identity.email_key(out["email"])
    out["person_key"] = identity.person_key(out["first_name"], out["last_name"], out["company"])
    return out
