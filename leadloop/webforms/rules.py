"""What a form may be, and what a submission to it says: pure functions, no database.

A form's fields, origins and redirect are checked here for every door (the
app's pages, the API); a submission's values are sorted here into the lead's
fields, its attributes and what is tracked about where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from leadloop.leads.person import MAX_ATTRIBUTE_TEXT, PERSON_FIELDS

ATTRIBUTE_PREFIX = "attributes."
MAX_FIELDS = 30
MAX_LABEL = 200
MAX_ORIGINS = 20
MAX_CONSENT = MAX_ATTRIBUTE_TEXT
MAX_THANK_YOU = 2000
MAX_NAME = 160
# Attribute names a form may not ask for: the submission writes them itself.
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
RESERVED_ATTRIBUTES = frozenset({*UTM_KEYS, "referrer", "web_form", "consent", "consented_at"})
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# The fields a submission carries besides the form's own.
STAMP_FIELD = "_stamp"
HONEYPOT_FIELD = "website_url"  # a name bots like to fill; people never see it
CONSENT_FIELD = "consent"
REFERRER_FIELD = "_referrer"

LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "title": "Job title",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "industry": "Industry",
    "employees": "Employees",
    "revenue_band": "Revenue",
    "country": "Country (two letters, e.g. DE)",
    "region": "Region",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool

    @property
    def attribute(self) -> str | None:
        """The attribute's name for `attributes.<name>`, None for a lead field."""
        return self.name[len(ATTRIBUTE_PREFIX) :] if self.is_attribute else None

    @property
    def is_attribute(self) -> bool:
        return self.name.startswith(ATTRIBUTE_PREFIX)

    @property
    def input_type(self) -> str:
        return {"email": "email", "phone": "tel", "employees": "number"}.get(self.name, "text")

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "required": self.required}


def field_name_problem(name: str) -> str:
    """What is wrong with a field's name, or ""."""
    if name in PERSON_FIELDS:
        return ""
    if name.startswith(ATTRIBUTE_PREFIX):
        attribute = name[len(ATTRIBUTE_PREFIX) :]
        if not _ATTRIBUTE_NAME.match(attribute):
            return (
                f"'{name[:80]}': an attribute's name is a letter then up to 63 letters, "
                "digits or underscores"
            )
        if attribute in RESERVED_ATTRIBUTES:
            return f"'{name}' is written by the form itself; pick another name"
        return ""
    return (
        f"'{name[:80]}' is neither a lead field ({', '.join(PERSON_FIELDS)}) nor attributes.<name>"
    )


def parse_fields(raw: Any) -> list[FieldSpec]:
    """A form's fields from a list of names or {"name", "label", "required"} objects.

    A lead needs an email or a phone number, so a form must ask for one of them.
    """
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"fields": "give a list of at least one field"})
    if len(raw) > MAX_FIELDS:
        raise ValidationError({"fields": f"at most {MAX_FIELDS} fields, got {len(raw)}"})
    out: list[FieldSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"fields[{index}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise ValidationError({"fields": f"{where}: a name or an object with 'name'"})
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"fields": f"{where}: 'name' is missing"})
        name = name.strip()
        problem = field_name_problem(name)
        if problem:
            raise ValidationError({"fields": f"{where}: {problem}"})
        if name in seen:
            raise ValidationError({"fields": f"{where}: '{name}' is listed twice"})
        seen.add(name)
        label = item.get("label") or ""
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            raise ValidationError({"fields": f"{where}: 'label' is text of at most {MAX_LABEL}"})
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise ValidationError({"fields": f"{where}: 'required' is true or false"})
        unknown = sorted(set(item) - {"name", "label", "required"})
        if unknown:
            raise ValidationError({"fields": f"{where}: unknown key '{unknown[0]}'"})
        default = LABELS.get(name) or name.removeprefix(ATTRIBUTE_PREFIX).replace("_", " ").title()
        out.append(FieldSpec(name=name, label=label.strip() or default, required=required))
    if not seen & {"email", "phone"}:
        raise ValidationError({"fields": "a lead needs an email or a phone: ask for one of them"})
    return out


def normalize_origin(text: str) -> str:
    """`https://Example.com:443/` as `https://example.com`; ValueError if not an origin."""
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError(f"'{raw[:80]}' is not an origin like https://www.example.com") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"'{raw[:80]}' is not an origin like https://www.example.com")
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[\s,]+", raw) if part]
    if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
        raise ValidationError({"allowed_origins": "a list of origins like https://example.com"})
    if len(raw) > MAX_ORIGINS:
        raise ValidationError({"allowed_origins": f"at most {MAX_ORIGINS} origins"})
    out: list[str] = []
    for item in raw:
        try:
            origin = normalize_origin(item)
        except ValueError as exc:
            raise ValidationError({"allowed_origins": str(exc)}) from None
        if origin not in out:
            out.append(origin)
    return out


def check_redirect(url: str, origins: Iterable[str]) -> str:
    """The redirect URL, if it is on one of the allowed origins (no open redirect)."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 500:
        raise ValidationError({"redirect_url": "at most 500 characters"})
    try:
        parts = urlsplit(url)
        origin = normalize_origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        raise ValidationError({"redirect_url": f"'{url[:80]}' is not an http(s) URL"}) from None
    if origin not in set(origins):
        raise ValidationError(
            {"redirect_url": f"{origin} is not one of the form's allowed origins; add it there"}
        )
    return url


def check_text(field: str, value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: "must be text"})
    value = value.strip()
    if len(value) > limit:
        raise ValidationError({field: f"at most {limit} characters"})
    return value


def origin_allowed(origin: str, allowed: Iterable[str], own: str) -> bool:
    """May a browser page of `origin` post to the form? Its own pages always may."""
    try:
        normalized = normalize_origin(origin)
    except ValueError:
        return False
    return normalized == own or normalized in set(allowed)


def text_problem(text: str) -> str:
    """Why no database can store this text (a NUL, a lone surrogate), or ""."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return ""


def plain(value: Any) -> str:
    """A submitted value as text: a list's last item, nothing for an object."""
    if isinstance(value, list):  # a form-encoded key given twice: the last one counts
        value = value[-1] if value else ""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value).strip()


def collect(
    specs: Iterable[FieldSpec], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The lead's data (fields and `attributes`) from a submission, and the errors by field.

    Only the form's own fields are taken: anything else sent is ignored.
    """
    lead: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        value = plain(data.get(spec.name))
        if spec.required and not value:
            errors[spec.name] = f"{spec.label} is required"
            continue
        if len(value) > MAX_ATTRIBUTE_TEXT:
            errors[spec.name] = f"{spec.label} is longer than {MAX_ATTRIBUTE_TEXT} characters"
            continue
        if spec.attribute is not None:
            if value:
                attributes[spec.attribute] = value
        else:
            lead[spec.name] = value
    lead["attributes"] = attributes
    return lead, errors


def tracking(
    query: Mapping[str, Any], data: Mapping[str, Any], referrer: str
) -> tuple[dict[str, str], str]:
    """UTM parameters (the page's query string first, then hidden fields) and the referrer."""
    found: dict[str, str] = {}
    for key in UTM_KEYS:
        value = plain(query.get(key)) or plain(data.get(key))
        if value:
            found[key] = value[:200]
    return found, referrer.strip()[:1000]


def tracked_attributes(
    *,
    form_name: str,
    utm: Mapping[str, str],
    referrer: str,
    consent_text: str,
    consented_at: datetime | None,
) -> dict[str, Any]:
    """What a submission adds to the lead's attributes: where it came from and the consent."""
    out: dict[str, Any] = {"web_form": form_name[:MAX_ATTRIBUTE_TEXT], **utm}
    if referrer:
        out["referrer"] = referrer[:MAX_ATTRIBUTE_TEXT]
    if consented_at is not None:
        out["consent"] = consent_text[:MAX_ATTRIBUTE_TEXT]
        out["consented_at"] = consented_at.isoformat().replace("+00:00", "Z")
    return out


def consent_given(value: Any) -> bool:
    return plain(value).lower() in {"on", "yes", "true", "1"}


def fill_time_verdict(*, rendered_at: float, now: float, min_seconds: float) -> bool:
    """Was the form on screen at least `min_seconds` before it was sent?"""
    return now - rendered_at >= min_seconds


def conversion(submissions: int, views: int) -> float | None:
    """Submissions per view, as a share; None before the first view."""
    if views <= 0:
        return None
    return min(1.0, submissions / views)
