from __future__ import annotations

import pytest

from leadloop.leads import identity


def test_email_key_is_case_insensitive() -> None:
    assert identity.email_key("  Pat@Example.COM ") == "pat@example.com"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+49 30 1234567", None, "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("(617) 555-0123", "US", "+16175550123"),
        ("+1 617-555-0123", "DE", "+16175550123"),
    ],
)
def test_phone_key_is_e164(raw: str, region: str | None, expected: str) -> None:
    assert identity.phone_key(raw, region) == expected


def test_unreadable_phone_is_an_error() -> None:
    with pytest.raises(identity.PhoneError):
        identity.phone_key("call me maybe", None)


def test_person_key_ignores_case_accents_and_legal_suffix() -> None:
    assert identity.person_key("José", "Müller", "Acme GmbH") == identity.person_key(
        "jose", "MULLER", "ACME"
    )
    assert identity.person_key("Pat", "", "Acme") == ""
