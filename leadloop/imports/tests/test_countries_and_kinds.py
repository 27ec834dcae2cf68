from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from leadloop.imports.countries import parse_country
from leadloop.imports.kinds import infer_kind, typed_value
from leadloop.leads.identity import COUNTRIES


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("GERMANY", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("Germania", "DE"),
        ("Duitsland", "DE"),
        ("Alemanha", "DE"),
        ("Österreich", "AT"),
        ("osterreich", "AT"),
        ("Autriche", "AT"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Svizzera", "CH"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("Estados Unidos", "US"),
        ("États-Unis", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("Royaume-Uni", "GB"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("The Netherlands", "NL"),
        ("Nederland", "NL"),
        ("Niederlande", "NL"),
        ("Holland", "NL"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
        ("Côte d'Ivoire", "CI"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Russia", "RU"),
        ("Brasil", "BR"),
        ("  france ", "FR"),
    ],
)
def test_country_codes_and_names_in_many_languages(text: str, code: str) -> None:
    assert parse_country(text) == code


def test_every_country_comes_back_as_a_code_leadloop_accepts() -> None:
    import pycountry

    for country in pycountry.countries:
        try:
            code = parse_country(country.name)
        except ValueError:
            assert country.alpha_2 not in COUNTRIES
            continue
        assert code in COUNTRIES


@pytest.mark.parametrize("text", ["Atlantis", "XX", "Europe", ""])
def test_unknown_countries_say_what_to_give(text: str) -> None:
    with pytest.raises(ValueError, match="ISO code"):
        parse_country(text)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["0", "1", "1", "0"], "boolean"),
        (["0", "0", "0"], "number"),  # all 0 so far: a count, not yet a flag
        (["12", "n/a", "3", "unknown"], "number"),  # words for no value are no value
        (["n/a", "unknown"], "text"),  # nothing known: as any words
        (["1", "x"], "boolean"),
        (["yes", "no", "Yes"], "boolean"),
        (["x", "x", "x"], "boolean"),
        (["12", "3.5", "1,200", "-4"], "number"),
        (["14.03.2024", "01.02.2023"], "date"),
        (["2024-03-14T10:00:00Z", "2024-01-01"], "date"),
        (["Hot", "Warm", "Cold", "Hot", "Warm", "Cold"], "category"),
        (["Hot", "Warm", "Cold"], "text"),  # not repeated: no sign of a category
        ([f"note {i}" for i in range(50)] * 2, "text"),
        (["a long free text value that goes on and on and on", "x"] * 5, "text"),
        (["12", "twelve"], "text"),
        ([], "text"),
        (["", " "], "text"),
    ],
)
def test_kind_of_an_unmapped_column(values: list[str], kind: str) -> None:
    assert infer_kind(values) == kind


def test_kind_from_counts() -> None:
    assert infer_kind({"Gold": 40, "Silver": 30, "Bronze": 12}) == "category"


def test_typed_values() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert typed_value("number", "1,200") == 1200
    assert typed_value("boolean", "ja") is True
    assert typed_value("date", "14.03.2024") == "2024-03-14"
    assert typed_value("date", "14.03.2024 10:22", zone=berlin) == "2024-03-14T09:22:00Z"
    assert typed_value("category", "Hot") == "Hot"
    assert typed_value("text", "anything") == "anything"
    with pytest.raises(ValueError, match="not a number"):
        typed_value("number", "lots")
    # A 0/1 column that turns out to count keeps the count; a word is still refused.
    assert typed_value("boolean", "3") == 3
    with pytest.raises(ValueError, match="not yes or no"):
        typed_value("boolean", "maybe")
