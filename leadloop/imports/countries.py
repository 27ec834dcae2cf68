"""Country names and codes to the ISO 3166 alpha-2 code a lead stores.

Exports write countries every which way: 'DE', 'DEU', 'Germany',
'Deutschland', 'Allemagne', 'United States of America', 'USA'. The names
come from pycountry and its translations (not a table copied here), folded
once into one dictionary the first time a country is read. Only codes that
leadloop accepts (`identity.COUNTRIES`) are ever returned.
"""

from __future__ import annotations

import gettext
import re
from functools import cache

import pycountry

from leadloop.imports.fields import fold
from leadloop.leads.identity import COUNTRIES

# The languages whose names for countries an export is likely to use.
LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pt_BR", "sv", "da", "nb_NO", "fi", "pl", "cs")
# Names in everyday use that ISO does not list.
_COMMON: dict[str, str] = {
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "america": "US",
    "united states of america": "US",
    "vereinigte staaten": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "grossbritannien": "GB",
    "holland": "NL",
    "russia": "RU",
    "czech republic": "CZ",
    "turkey": "TR",
    "turkei": "TR",
    "ivory coast": "CI",
    "uae": "AE",
    "emirates": "AE",
    "macedonia": "MK",
    "swaziland": "SZ",
    "burma": "MM",
    "vatican": "VA",
    "vatican city": "VA",
    "cape verde": "CV",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "palestine": "PS",
    "kosovo": "XK",
    "brunei": "BN",
    "dr congo": "CD",
    "drc": "CD",
    "micronesia": "FM",
}
_PUNCT = re.compile(r"[^0-9a-z]+")


def _key(text: str) -> str:
    key = " ".join(_PUNCT.sub(" ", fold(text)).split())
    return key[4:] if key.startswith("the ") else key


def _names(country: object) -> list[str]:
    names = [getattr(country, attr, "") for attr in ("name", "official_name", "common_name")]
    names = [n for n in names if n]
    # "Korea, Republic of" is also written "Republic of Korea".
    return names + [f"{b} {a}" for a, _, b in (n.partition(", ") for n in names if ", " in n)]


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    countries = [c for c in pycountry.countries if c.alpha_2 in COUNTRIES]
    for country in countries:
        table.setdefault(country.alpha_2.lower(), country.alpha_2)
    for country in countries:
        table.setdefault(country.alpha_3.lower(), country.alpha_2)
    for country in countries:
        for name in _names(country):
            table.setdefault(_key(name), country.alpha_2)
    for alias, code in _COMMON.items():
        if code in COUNTRIES:
            table.setdefault(alias, code)
    for language in LANGUAGES:
        try:
            translation = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
            )
        except OSError:
            continue
        for country in countries:
            for name in _names(country):
                table.setdefault(_key(translation.gettext(name)), country.alpha_2)
    table.pop("", None)
    return table


def parse_country(text: str) -> str:
    """The ISO alpha-2 code for a country code or name in any common language."""
    stripped = text.strip()
    if len(stripped) == 2 and stripped.upper() in COUNTRIES:
        return stripped.upper()
    code = _table().get(_key(stripped))
    if code is None:
        raise ValueError(
            f"'{stripped[:60]}' is not a country we know; give an ISO code (DE, US) "
            "or a name (Germany, Deutschland)"
        )
    return code
