"""The keys duplicate detection compares: email, phone in E.164, person at company.

Pure functions, shared by intake, bulk import and the demo seeder so that all
three agree on what "the same lead" means.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers

_COMPANY_SUFFIXES = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|plc|gmbh|ag|kg|"
    r"sa|sas|sarl|srl|spa|bv|nv|oy|ab|as|pty|kk)\b\.?"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
# ISO 3166 alpha-2 codes, as the phone-number library knows them (every country with a
# numbering plan; "001" and the like are not two letters and fall out).
COUNTRIES = frozenset(r for r in phonenumbers.SUPPORTED_REGIONS if len(r) == 2 and r.isalpha())


def email_key(email: str) -> str:
    return email.strip().lower()


class PhoneError(ValueError):
    pass


def phone_key(phone: str, default_region: str | None = None) -> str:
    """The phone number in E.164, or PhoneError if it cannot be one."""
    if not phone.strip():
        return ""
    try:
        parsed = phonenumbers.parse(phone, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(
            "not a phone number we can read; give it in international form, e.g. +49 30 1234567"
        ) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise PhoneError("not a possible phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_WORD.sub(" ", text).strip()


# Companies repeat across a file and across intakes: their key is cached.
@functools.lru_cache(maxsize=65536)
def company_key(company: str) -> str:
    return " ".join(_COMPANY_SUFFIXES.sub(" ", _fold(company)).split())


def person_key(first_name: str, last_name: str, company: str) -> str:
    """'first|last|company', folded; empty unless all three are known."""
    parts = [_fold(first_name), _fold(last_name), company_key(company)]
    if not all(parts):
        return ""
    return "|".join(" ".join(p.split()) for p in parts)
