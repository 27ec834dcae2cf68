"""Made-up but plausible people and companies for the demo leads.

Everything is drawn from the seeder's own `random.Random`, so the same seed
gives the same people. Names, phone plans and company styles follow the
country, because the territory rules, the holiday calendars and the
unreachable analysis all look at the country.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from leadloop.leads import identity

T = TypeVar("T")


class Weighted(Generic[T]):
    """A weighted choice that costs one `random()` and one bisect per draw."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.total)]


# ---------------------------------------------------------------- people


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_GERMAN_FIRST = _words(
    "Anna Lukas Marie Leon Sophie Paul Laura Felix Julia Maximilian Lena Jonas Katharina Tim "
    "Hannah Jan Sarah Niklas Lisa Moritz Johanna Florian Clara Sebastian Miriam Stefan Sabine "
    "Thomas Andrea Michael Petra Markus Nicole Christian Claudia Daniel Birgit Alexander Jürgen "
    "Ursula Matthias Kerstin Tobias Franziska Dominik Verena Philipp Theresa Jakob Anja"
)
_GERMAN_LAST = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Lange Schmitt Werner Krause Meier Lehmann Köhler Herrmann König Walter Mayer Huber Kaiser "
    "Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther Berger Gruber "
    "Pichler Steiner Moser Brunner Frei Baumann"
)
_SWEDISH_FIRST = _words(
    "Erik Anna Lars Maria Karl Eva Johan Karin Anders Sara Per Emma Mikael Elin "
    "Oskar Ida Gustav Linnea Henrik Maja"
)
_SWEDISH_LAST = _words(
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Lindberg Lindqvist Berg Holm Sandberg Ek"
)
_NORWEGIAN_FIRST = _words(
    "Ole Ingrid Lars Kari Jon Silje Magnus Astrid Sindre Hanne Eirik Tone Håkon Marit Knut Solveig"
)
_NORWEGIAN_LAST = _words(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen "
    "Karlsen Haugen Berg Bakken Dahl Lie"
)
_DANISH_FIRST = _words(
    "Mads Sofie Rasmus Freja Mikkel Ida Søren Mette Anders Camilla Jesper Line Frederik Louise"
)
_DANISH_LAST = _words(
    "Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
    "Jørgensen Madsen Kristensen Olsen Thomsen"
)
_FINNISH_FIRST = _words(
    "Mikko Aino Juha Laura Antti Elina Ville Johanna Jukka Anna Timo Sanna Pekka Riikka"
)
_FINNISH_LAST = _words(
    "Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen "
    "Järvinen Lehtonen Saarinen"
)
_AMERICAN_FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Lisa Matthew Nancy "
    "Anthony Ashley Mark Emily Steven Megan Andrew Rachel Joshua Lauren Kevin Amanda Brian "
    "Stephanie Ryan Nicole Jason Rebecca Justin Samantha Brandon Olivia Priya Wei Carlos Sofia "
    "Mohammed Aisha Hiroshi Mei Luis Gabriela"
)
_AMERICAN_LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen "
    "Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel "
    "Kim Chen Murphy O'Brien Sullivan Cohen Shapiro Tremblay Gagnon Roy Côté"
)


@dataclass(frozen=True)
class Country:
    """What the seeder needs to invent a person and a company in one country."""

    code: str
    first_names: Sequence[str]
    last_names: Sequence[str]
    tld: str
    suffixes: Sequence[str]
    # (region code, weight); empty where leadloop does not track regions.
    regions: Sequence[tuple[str, float]]
    # Country calling code, then (area code, subscriber digits) of typical lines.
    calling_code: str
    lines: Sequence[tuple[str, int]]
    # How a national number is grouped for display after the area code.
    local_style: str = "block"
    cities: Sequence[str] = ()
    employee_scale: float = 1.0


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "DE",
            _GERMAN_FIRST,
            _GERMAN_LAST,
            "de",
            ("GmbH", "GmbH", "AG", "GmbH & Co. KG", "SE"),
            (
                ("BE", 12),
                ("BY", 18),
                ("NW", 20),
                ("HH", 8),
                ("HE", 10),
                ("BW", 16),
                ("NI", 8),
                ("SN", 5),
                ("RP", 3),
            ),
            "49",
            (
                ("30", 8),
                ("40", 8),
                ("89", 8),
                ("221", 7),
                ("69", 8),
                ("711", 7),
                ("211", 7),
                ("151", 8),
                ("171", 8),
                ("176", 8),
            ),
            cities=(
                "Berlin",
                "Hamburg",
                "München",
                "Köln",
                "Frankfurt",
                "Stuttgart",
                "Düsseldorf",
                "Leipzig",
                "Hannover",
            ),
        ),
        Country(
            "AT",
            _GERMAN_FIRST,
            _GERMAN_LAST,
            "at",
            ("GmbH", "GmbH", "AG", "KG"),
            (("9", 40), ("6", 15), ("4", 15), ("5", 10), ("7", 10), ("3", 10)),
            "43",
            (("1", 7), ("316", 6), ("662", 6), ("512", 6), ("664", 7), ("676", 7)),
            cities=("Wien", "Graz", "Linz", "Salzburg", "Innsbruck"),
        ),
        Country(
            "CH",
            _GERMAN_FIRST,
            _GERMAN_LAST,
            "ch",
            ("AG", "AG", "GmbH", "SA"),
            (("ZH", 35), ("BE", 15), ("BS", 10), ("GE", 15), ("ZG", 10), ("LU", 15)),
            "41",
            (("44", 7), ("31", 7), ("61", 7), ("22", 7), ("41", 7), ("79", 7)),
            cities=("Zürich", "Bern", "Basel", "Genève", "Zug", "Luzern"),
        ),
        Country(
            "SE",
            _SWEDISH_FIRST,
            _SWEDISH_LAST,
            "se",
            ("AB",),
            (),
            "46",
            (("8", 7), ("31", 7), ("40", 6), ("70", 7), ("73", 7)),
            cities=("Stockholm", "Göteborg", "Malmö", "Uppsala"),
        ),
        Country(
            "NO",
            _NORWEGIAN_FIRST,
            _NORWEGIAN_LAST,
            "no",
            ("AS", "ASA"),
            (),
            "47",
            (("2", 7), ("9", 7), ("4", 7)),
            cities=("Oslo", "Bergen", "Trondheim", "Stavanger"),
        ),
        Country(
            "DK",
            _DANISH_FIRST,
            _DANISH_LAST,
            "dk",
            ("A/S", "ApS"),
            (),
            "45",
            (("3", 7), ("7", 7), ("2", 7)),
            cities=("København", "Aarhus", "Odense"),
        ),
        Country(
            "FI",
            _FINNISH_FIRST,
            _FINNISH_LAST,
            "fi",
            ("Oy", "Oyj"),
            (),
            "358",
            (("9", 7), ("40", 7), ("50", 7), ("2", 7)),
            cities=("Helsinki", "Espoo", "Tampere", "Turku"),
        ),
        Country(
            "US",
            _AMERICAN_FIRST,
            _AMERICAN_LAST,
            "com",
            ("Inc.", "Inc.", "LLC", "Corp."),
            (
                ("MA", 14),
                ("NY", 16),
                ("CA", 20),
                ("TX", 12),
                ("IL", 8),
                ("WA", 6),
                ("GA", 5),
                ("FL", 7),
                ("CO", 4),
                ("NC", 4),
                ("PA", 4),
            ),
            "1",
            (
                ("617", 7),
                ("781", 7),
                ("212", 7),
                ("646", 7),
                ("415", 7),
                ("312", 7),
                ("512", 7),
                ("206", 7),
                ("404", 7),
                ("305", 7),
                ("214", 7),
                ("303", 7),
            ),
            local_style="nanp",
            cities=("Boston", "Austin", "Denver", "Atlanta", "Chicago"),
            employee_scale=1.3,
        ),
        Country(
            "CA",
            _AMERICAN_FIRST,
            _AMERICAN_LAST,
            "ca",
            ("Inc.", "Ltd.", "Corp."),
            (("ON", 45), ("QC", 25), ("BC", 20), ("AB", 10)),
            "1",
            (("416", 7), ("647", 7), ("514", 7), ("604", 7), ("613", 7), ("403", 7)),
            local_style="nanp",
            cities=("Toronto", "Montréal", "Vancouver", "Ottawa"),
        ),
    )
}

_REGIONS = {c.code: Weighted(c.regions) for c in COUNTRIES.values() if c.regions}

# (title, seniority 0..3, weight). Seniority feeds the score and reachability.
TITLES: Weighted[tuple[str, int]] = Weighted(
    [
        (("CEO", 3), 3),
        (("Managing Director", 3), 3),
        (("CFO", 3), 2),
        (("COO", 3), 1.5),
        (("CTO", 3), 2),
        (("Chief Revenue Officer", 3), 1),
        (("VP Sales", 2), 4),
        (("VP Marketing", 2), 3),
        (("VP Operations", 2), 2),
        (("Head of Sales", 2), 6),
        (("Head of Marketing", 2), 5),
        (("Head of IT", 2), 5),
        (("Head of Procurement", 2), 2),
        (("Director of Business Development", 2), 3),
        (("Sales Manager", 1), 8),
        (("Marketing Manager", 1), 8),
        (("IT Manager", 1), 6),
        (("Operations Manager", 1), 5),
        (("Procurement Manager", 1), 3),
        (("Sales Operations Manager", 1), 4),
        (("Project Manager", 1), 4),
        (("Business Analyst", 0), 4),
        (("Sales Representative", 0), 4),
        (("Marketing Specialist", 0), 4),
        (("Software Engineer", 0), 3),
        (("Consultant", 0), 3),
        (("Office Manager", 0), 2),
        (("Assistant to the CEO", 0), 1.5),
    ]
)
# Who fills in forms without being a buyer: disqualified as out of target.
NON_BUYER_TITLES = ("Student", "Working student", "Job seeker", "Intern")

INDUSTRIES = (
    "Software",
    "Manufacturing",
    "Logistics",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Professional Services",
    "Telecommunications",
    "Automotive",
    "Energy",
    "Education",
    "Media",
    "Public Sector",
    "Construction",
)

# Words that make a company sound like its industry.
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "Software": ("Software", "Systems", "Digital", "Cloud", "Data", "Labs"),
    "Manufacturing": ("Manufacturing", "Industries", "Precision", "Werke", "Components"),
    "Logistics": ("Logistics", "Freight", "Transport", "Shipping", "Cargo"),
    "Financial Services": ("Capital", "Finance", "Invest", "Payments", "Insurance"),
    "Healthcare": ("Health", "Medical", "Care", "Pharma", "Diagnostics"),
    "Retail": ("Retail", "Stores", "Commerce", "Trading", "Brands"),
    "Professional Services": ("Consulting", "Partners", "Advisory", "Group", "Solutions"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Connect"),
    "Automotive": ("Automotive", "Mobility", "Motors", "Parts"),
    "Energy": ("Energy", "Power", "Solar", "Utilities", "Wind"),
    "Education": ("Academy", "Learning", "Education", "Institute"),
    "Media": ("Media", "Publishing", "Studios", "Verlag"),
    "Public Sector": ("Services", "Agency", "Office", "Authority"),
    "Construction": ("Construction", "Bau", "Building", "Engineering"),
}
_STEMS = (
    "Nord",
    "Alpen",
    "Rhein",
    "Elbe",
    "Berg",
    "Stern",
    "Falke",
    "Linden",
    "Eiche",
    "Brücke",
    "Summit",
    "Harbor",
    "Granite",
    "Pioneer",
    "Beacon",
    "Liberty",
    "Cedar",
    "Bluewater",
    "Keystone",
    "Redwood",
    "Northwind",
    "Silverline",
    "Ironwood",
    "Brightpath",
    "Clearview",
    "Polar",
    "Fjord",
    "Aurora",
    "Nordic",
    "Baltic",
    "Vega",
    "Atlas",
    "Orion",
    "Helix",
    "Vertex",
    "Quantum",
    "Apex",
    "Crescent",
    "Meridian",
    "Horizon",
    "Evergreen",
    "Lighthouse",
    "Sterling",
)
_CONNECTORS = ("", "", "", "Group", "International", "Europe", "Holding")

# Employee bands, chosen by weight when a company is invented.
SIZE_BANDS: dict[str, tuple[int, int, float]] = {
    "1-9": (2, 9, 10),
    "10-49": (10, 49, 25),
    "50-249": (50, 249, 30),
    "250-999": (250, 999, 20),
    "1000+": (1000, 40000, 15),
}
_SIZES = Weighted([(band, w) for band, (_, _, w) in SIZE_BANDS.items()])


def revenue_band(employees: int) -> str:
    """A rough revenue band from head count (about 150k a head)."""
    revenue = employees * 150_000
    for limit, label in (
        (1e6, "< 1M"),
        (10e6, "1M-10M"),
        (50e6, "10M-50M"),
        (250e6, "50M-250M"),
        (1e9, "250M-1B"),
    ):
        if revenue < limit:
            return label
    return "> 1B"


_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "å": "a",
        "ø": "o",
        "æ": "ae",
        "é": "e",
        "è": "e",
        "ô": "o",
        "'": "",
        " ": "",
        "&": "",
        ".": "",
        "/": "",
        "-": "",
    }
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII for email local parts and domains (ü -> ue, ø -> o)."""
    folded = text.lower().translate(_FOLD)
    return folded.encode("ascii", "ignore").decode()


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str
    industry: str
    employees: int
    size_band: str
    country: str
    region: str
    revenue_band: str
    # Each company writes its addresses one way: first.last, flast or first.
    email_style: int
    key: str


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    title: str
    seniority: int
    email: str
    phone: str
    phone_key: str


class Directory:
    """Invents companies on demand and reuses them, so several leads share a company."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._pools: dict[tuple[str, str], list[Company]] = {}
        self._names: set[str] = set()
        self._name_keys: dict[tuple[str, str], str] = {}

    def company(self, country: str, industry: str, sizes: Sequence[str] | None) -> Company:
        """A company of this country and industry, within `sizes` when given.

        Most draws reuse a known company, as campaigns reach several people at
        the same firm; one in three invents a new one.
        """
        pool = self._pools.setdefault((country, industry), [])
        rng = self.rng
        if pool and rng.random() < 0.65:
            for _ in range(3):
                found = pool[int(rng.random() * len(pool))]
                if sizes is None or found.size_band in sizes:
                    return found
        band = _SIZES.pick(rng)
        if sizes is not None and band not in sizes:
            band = sizes[int(rng.random() * len(sizes))]
        made = self._invent(COUNTRIES[country], industry, band)
        pool.append(made)
        return made

    def _invent(self, country: Country, industry: str, band: str) -> Company:
        rng = self.rng
        word = rng.choice(_INDUSTRY_WORDS[industry])
        for attempt in range(8):
            if rng.random() < 0.45:
                base = f"{rng.choice(country.last_names)} {word}"
            else:
                base = f"{rng.choice(_STEMS)} {word}"
            extra = rng.choice(_CONNECTORS) if attempt < 4 else rng.choice(country.cities)
            name = f"{base} {extra}".strip() if extra else base
            name = f"{name} {rng.choice(country.suffixes)}"
            if name not in self._names:
                break
        else:
            name = f"{name} {len(self._names)}"
        self._names.add(name)
        low, high, _ = SIZE_BANDS[band]
        if band == "1000+":
            # Big companies have a long tail of head counts.
            employees = min(int(low * rng.paretovariate(1.3) * country.employee_scale), 250_000)
        else:
            employees = rng.randint(low, high)
        regions = _REGIONS.get(country.code)
        region = regions.pick(rng) if regions else ""
        domain = f"{ascii_slug(name.rsplit(' ', 1)[0])}.{country.tld}"
        return Company(
            name=name,
            domain=domain,
            industry=industry,
            employees=employees,
            size_band=band,
            country=country.code,
            region=region,
            revenue_band=revenue_band(employees),
            email_style=int(rng.random() * 3),
            key=identity.company_key(name),
        )

    def person(self, company: Company, *, non_buyer: bool = False) -> Person:
        rng = self.rng
        country = COUNTRIES[company.country]
        first = rng.choice(country.first_names)
        last = rng.choice(country.last_names)
        if non_buyer:
            title, seniority = rng.choice(NON_BUYER_TITLES), 0
        else:
            title, seniority = TITLES.pick(rng)
        f, la = ascii_slug(first), ascii_slug(last)
        local = (f"{f}.{la}", f"{f[0]}{la}", f"{f}")[company.email_style]
        if company.email_style == 2 and company.employees > 50:
            local = f"{f}.{la}"
        area, digits = rng.choice(country.lines)
        number = str(rng.randrange(2 * 10 ** (digits - 1), 10**digits))
        phone, key = format_phone(country, area, number)
        return Person(first, last, title, seniority, f"{local}@{company.domain}", phone, key)

    def person_key(self, person: Person, company: Company) -> str:
        """`identity.person_key`, composed from cached halves (it is the slow part).

        person_key is "first|last|company_key"; the name half is cached per
        name pair and the company half per company, so this is exact.
        """
        pair = (person.first_name, person.last_name)
        half = self._name_keys.get(pair)
        if half is None:
            half = identity.person_key(person.first_name, person.last_name, "x")[:-1]
            self._name_keys[pair] = half
        return half + company.key if half and company.key else ""


def format_phone(country: Country, area: str, number: str) -> tuple[str, str]:
    """(display form, E.164 key): we invent the digits, so no parsing is needed."""
    key = f"+{country.calling_code}{area}{number}"
    if country.local_style == "nanp":
        return f"+1 {area} {number[:3]} {number[3:]}", key
    return f"+{country.calling_code} {area} {number}", key
