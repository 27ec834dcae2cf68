"""A lead's person and company fields: cleaned once, the same way for every way in.

Intake (the API, web forms), imports and edits all go through
`clean_lead_fields`, so "the same lead" (its identity keys) and "a valid
lead" mean the same thing whichever door a lead comes through.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from leadloop.leads import identity
from leadloop.leads.identity import COUNTRIES
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
# Custom attributes ride along on every list page that shows the lead: bounded so that
# one lead cannot make a page a megabyte (the API's schema says the same).
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_NAME = 64
MAX_ATTRIBUTE_TEXT = 1000
MAX_ATTRIBUTES_BYTES = 16 * 1024
ATTRIBUTE_LIMITS = (
    f"at most {MAX_ATTRIBUTES} names of up to {MAX_ATTRIBUTE_NAME} characters; each value "
    f"text of up to {MAX_ATTRIBUTE_TEXT} characters, a number, true/false or null; "
    f"{MAX_ATTRIBUTES_BYTES // 1024} KiB in all"
)
_MAX_LEN: dict[str, int] = {
    name: length
    for name in PERSON_FIELDS
    if (length := getattr(Lead._meta.get_field(name), "max_length", None))
}


def clean_lead_fields(data: Mapping[str, Any], *, contact: bool = True) -> dict[str, Any]:
    """Validate person and company fields one by one; ValidationError names each bad field.

    `contact`: the lead must be reachable (an email or a phone), as every lead
    that is still to be worked must. A closed lead of an imported history may
    have neither: public and anonymised outcome data sets carry no contact
    data, and what reports and scoring learn from is its outcome."""
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
    if out["country"] and out["country"] not in COUNTRIES:
        errors["country"] = (
            f"'{out['country']}' is not an ISO 3166 country code; give two letters, e.g. DE or US"
        )
    if out["phone"]:
        try:
            out["phone_key"] = identity.phone_key(out["phone"], out["country"] or None)
        except identity.PhoneError as exc:
            errors["phone"] = str(exc)
    else:
        out["phone_key"] = ""
    if contact and not out["email"] and not out["phone"]:
        errors.setdefault("email", "an open lead needs an email or a phone number")
    attributes = data.get("attributes") or {}
    problem = attributes_problem(attributes)
    if problem:
        errors["attributes"] = problem
    else:
        out["attributes"] = dict(attributes)
    if errors:
        raise ValidationError(errors)
    out["email_key"] = identity.email_key(out["email"])
    out["person_key"] = identity.person_key(out["first_name"], out["last_name"], out["company"])
    return out


def attributes_problem(attributes: Any) -> str:
    """What is wrong with custom attributes (see ATTRIBUTE_LIMITS), or ""."""
    if not isinstance(attributes, Mapping):
        return "must be an object of name: value"
    if len(attributes) > MAX_ATTRIBUTES:
        return f"has {len(attributes)} names; at most {MAX_ATTRIBUTES}"
    for name, value in attributes.items():
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_ATTRIBUTE_NAME:
            return f"names must be 1 to {MAX_ATTRIBUTE_NAME} characters ('{str(name)[:80]}')"
        if isinstance(value, str):
            if len(value) > MAX_ATTRIBUTE_TEXT:
                return f"'{name}' is longer than {MAX_ATTRIBUTE_TEXT} characters"
        elif value is not None and not isinstance(value, bool | int | float):
            return f"'{name}' must be text, a number, true/false or null, not a list or object"
    # An upper bound first (a character is at most 4 bytes, quoting and escapes at most
    # double it): the exact size is only worth computing near the limit (imports check
    # every row).
    bound = sum(
        8 * len(name) + (8 * len(value) if isinstance(value, str) else 32) + 8
        for name, value in attributes.items()
    )
    if bound <= MAX_ATTRIBUTES_BYTES:
        return ""
    size = len(json.dumps(attributes, ensure_ascii=False).encode())
    if size > MAX_ATTRIBUTES_BYTES:
        return f"are {size} bytes together; at most {MAX_ATTRIBUTES_BYTES}"
    return ""
