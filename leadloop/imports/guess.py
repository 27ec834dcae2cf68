"""Make a mapping for a file: a built-in CRM mapping fitted to its header, or a guess (`auto`).

The guess goes from surest to weakest: a known header (every built-in
header, leadloop's field names, common English, German, French and Spanish
words), a header that is a known one plus a filler word ('Work Email',
'Primary Phone'), a close spelling ('Frist Name'), and last the values (a
column of email addresses is `email`). A field that holds one value gets one
column, the surest; email, phone, company, owner, campaign and stage may
take several (the first non-empty wins, surest first). Columns left over
become attributes, typed from their values. Every decision keeps its reason,
so the wizard can say why.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadloop.imports.countries import parse_country
from leadloop.imports.crm import TEMPLATES, Template
from leadloop.imports.fields import (
    ATTRIBUTE_PREFIX,
    IMPORT_STAGES,
    LEAD_FIELDS,
    MULTI_COLUMN_FIELDS,
    fold,
    header_key,
    is_attribute,
    value_key,
)
from leadloop.imports.kinds import infer_kind
from leadloop.imports.mapping import Mapping
from leadloop.imports.sampling import ColumnValues, Sample
from leadloop.imports.values import (
    guess_date_order,
    no_value,
    parse_count,
    parse_date_text,
    parse_number,
)
from leadloop.leads.choices import Stage
from leadloop.leads.person import MAX_ATTRIBUTE_NAME, MAX_ATTRIBUTES

# fmt: off
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "first", "given name", "forename", "fname", "vorname",
                   "prénom", "nombre", "nome", "voornaam"),
    "last_name": ("last name", "surname", "family name", "lname", "nachname", "familienname",
                  "nom", "nom de famille", "apellido", "apellidos", "cognome", "achternaam"),
    "full_name": ("name", "full name", "contact", "contact name", "contact person", "person",
                  "lead name", "ansprechpartner", "nom complet", "nombre completo"),
    "email": ("email", "e-mail", "mail", "email address", "e-mail address", "e-mail-adresse",
              "courriel", "correo", "correo electrónico", "work email", "business email"),
    "phone": ("phone", "telephone", "tel", "tel.", "phone number", "telefon", "telefonnummer",
              "téléphone", "teléfono", "telefono", "mobile", "mobile phone", "cell",
              "cell phone", "handy", "mobil", "mobilnummer", "portable", "direct dial"),
    "company": ("company", "company name", "organization", "organisation", "account",
                "account name", "firma", "unternehmen", "firmenname", "société", "entreprise",
                "empresa", "azienda", "bedrijf", "employer", "business name"),
    "title": ("title", "job title", "position", "role", "job", "job role", "designation",
              "funktion", "berufsbezeichnung", "poste", "fonction", "cargo", "functie"),
    "industry": ("industry", "sector", "vertical", "branche", "industrie", "secteur",
                 "settore"),
    "employees": ("employees", "number of employees", "employee count", "headcount",
                  "company size", "staff", "mitarbeiter", "mitarbeiterzahl",
                  "anzahl mitarbeiter", "effectif", "empleados"),
    "revenue_band": ("revenue", "annual revenue", "revenue band", "revenue range", "turnover",
                     "umsatz", "jahresumsatz", "chiffre d'affaires", "ingresos", "fatturato"),
    "country": ("country", "country code", "nation", "land", "pays", "país", "paese",
                "country/region"),
    "region": ("region", "state", "province", "state/province", "bundesland", "county",
               "territory", "région", "provincia", "regione"),
    "campaign": ("campaign", "campaign name", "source", "lead source", "kampagne", "quelle",
                 "campagne", "campaña", "utm campaign"),
    "created_at": ("created", "created at", "created on", "created date", "create date",
                   "date created", "creation date", "signup date", "date added", "lead date",
                   "erstellt", "erstellt am", "erstellungsdatum", "date de création",
                   "fecha de creación"),
    "stage": ("stage", "status", "lead status", "lead stage", "phase", "lifecycle stage",
              "statut", "estado", "stato"),
    "owner": ("owner", "lead owner", "assigned to", "rep", "sdr", "bdr", "inside rep",
              "besitzer", "inhaber", "verantwortlich", "zuständig", "responsable",
              "propietario"),
    "sales_rep": ("sales rep", "sales owner", "account executive", "ae", "salesperson",
                  "sales person", "account manager", "vertrieb", "außendienst"),
    "reason_code": ("reason", "reason code", "disqualification reason", "disqualified reason",
                    "lost reason", "loss reason", "rejection reason", "unqualified reason",
                    "grund", "raison", "motivo"),
    "note": ("note", "notes", "comment", "comments", "description", "remarks", "notiz",
             "notizen", "bemerkung", "kommentar", "beschreibung", "message", "commentaire"),
}
# Words that qualify a header without changing what it holds: 'Work Email', 'Primary Phone'.
_FILLER = frozenset({
    "primary", "work", "business", "main", "contact", "lead", "person", "the", "your",
    "official", "current", "private", "home", "office", "direct", "number", "no", "nr",
    "address", "of", "company", "customer", "prospect",
})
_STAGE_WORDS: dict[str, tuple[str, ...]] = {
    Stage.NEW: ("new", "neu", "nouveau", "nuevo", "open", "not contacted", "untouched"),
    Stage.WORKING: ("working", "contacted", "in progress", "attempted", "in bearbeitung",
                    "kontaktiert", "en cours"),
    Stage.UNREACHABLE: ("unreachable", "not reachable", "no answer", "nicht erreichbar",
                        "injoignable"),
    Stage.DISQUALIFIED: ("disqualified", "unqualified", "not qualified", "disqualifiziert",
                         "bad fit", "junk lead"),
    Stage.NURTURE: ("nurture", "nurturing", "later", "follow up later"),
    Stage.OPPORTUNITY: ("opportunity", "qualified", "sql", "converted", "opportunité"),
    Stage.WON: ("won", "closed won", "customer", "gewonnen", "gagné", "ganado"),
    Stage.LOST: ("lost", "closed lost", "verloren", "perdu", "perdido"),
}
_SALUTATIONS = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "m", "mme", "mlle", "sr", "sra",
})
# fmt: on
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s().\-/]{6,22}")
_TOKENS = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
CONTENT_SHARE = 0.8  # the share of a column's values that must look like the field
SIMILARITY = 0.88  # difflib ratio for a misspelled header

# How sure a reason is; a single-value field goes to the surest column.
EXACT, FILLER, SIMILAR, CONTENT = 4, 3, 2, 1
# A header's field must also fit the column's values: at least this share of them.
FIT_SHARE = 0.5
# Fields that name something: a column of numbers is none of them (a bank-marketing
# 'campaign' counts the calls made, it names no campaign).
_NAMED = frozenset(
    {"first_name", "last_name", "full_name", "company", "title", "industry", "campaign"}
)


def _synonyms() -> dict[str, str]:
    table: dict[str, str] = {}
    for target in LEAD_FIELDS:
        table.setdefault(header_key(target), target)
    for target, names in _SYNONYMS.items():
        for name in names:
            table.setdefault(header_key(name), target)
    for template in TEMPLATES.values():
        for key, (known, _) in template.targets().items():
            if known is not None and not is_attribute(known):
                table.setdefault(key, known)
    return table


def _synonym_tokens() -> dict[frozenset[str], str]:
    table: dict[frozenset[str], str] = {}
    for target, names in _SYNONYMS.items():
        for name in (*names, target.replace("_", " ")):
            table.setdefault(frozenset(_TOKENS.findall(fold(name))), target)
    return table


def _priorities() -> dict[str, int]:
    """header key -> its rank among the headers a CRM writes for one field (0: the main one)."""
    table: dict[str, int] = {}
    for template in TEMPLATES.values():
        for key, (_, priority) in template.targets().items():
            table[key] = min(priority, table.get(key, priority))
    return table


_SYNONYM_TABLE = _synonyms()
_PRIORITY = _priorities()
_SYNONYM_TOKENS = _synonym_tokens()


@dataclass
class Guess:
    mapping: Mapping
    # column -> why it got its target ("header 'E-Mail' is a name for email")
    reasons: dict[str, str] = field(default_factory=dict)


def _tokens(header: str) -> frozenset[str]:
    return frozenset(_TOKENS.findall(fold(_CAMEL.sub(" ", header))))


def _share(values: list[str], test: Callable[[str], object]) -> float:
    """The share of `values` that `test` accepts (returns something true, raises no ValueError)."""
    if not values:
        return 0.0
    hits = 0
    for value in values:
        with contextlib.suppress(ValueError):
            hits += bool(test(value))
    return hits / len(values)


def _by_header(header: str) -> tuple[str, int, str] | None:
    key = header_key(header)
    target = _SYNONYM_TABLE.get(key)
    if target:
        return target, EXACT, f"the header '{header}' is a name for {target}"
    tokens = _tokens(header)
    core = tokens - _FILLER
    if core and core != tokens:
        target = _SYNONYM_TOKENS.get(frozenset(core))
        if target:
            return target, FILLER, f"the header '{header}' names {target}"
    if len(key) >= 5:
        close = difflib.get_close_matches(key, list(_SYNONYM_TABLE), n=1, cutoff=SIMILARITY)
        if close:
            target = _SYNONYM_TABLE[close[0]]
            return target, SIMILAR, f"the header '{header}' is spelled like {target}"
    return None


def _by_content(header: str, values: list[str]) -> tuple[str, int, str] | None:
    if not values:
        return None
    if _share(values, _EMAIL.fullmatch) >= CONTENT_SHARE:
        return "email", CONTENT, f"the values of '{header}' are email addresses"
    kind = infer_kind(values)
    if kind == "boolean":
        return None
    if kind == "date":
        return "created_at", CONTENT, f"the values of '{header}' are dates"
    digits = [v for v in values if sum(c.isdigit() for c in v) >= 7]
    if (
        len(digits) == len(values)
        and _share(values, _PHONE.fullmatch) >= CONTENT_SHARE
        and any(v.startswith(("+", "0", "(")) or not v.isdigit() for v in values)
    ):
        return "phone", CONTENT, f"the values of '{header}' are phone numbers"
    if kind in ("category", "text") and _share(values, parse_country) >= CONTENT_SHARE:
        return "country", CONTENT, f"the values of '{header}' are countries"
    return None


def _misfit(target: str, values: list[str]) -> str:
    """What the values are not, when a header's field does not fit them ("" when it does).

    Each of these fields refuses a row whose value it cannot read: a column named like
    one (an exact 'Country', or 'pdays' spelled like 'país') whose values are something
    else would cost every row. Without a sample nothing is refused."""
    values = [value for value in values if not no_value(value)]
    if not values:
        return ""
    order = guess_date_order(values)
    # Lenient where the converter is: "Ann <ann@x.de>" or "+1 555 0100 ext. 12" still fit.
    tests: dict[str, tuple[Callable[[str], object], str]] = {
        "email": (lambda v: "@" in v, "email addresses"),
        "phone": (lambda v: sum(c.isdigit() for c in v) >= 5, "phone numbers"),
        "country": (parse_country, "countries"),
        "employees": (parse_count, "head counts"),
        "created_at": (lambda v: parse_date_text(v, order=order), "dates"),
    }
    if target in tests:
        test, what = tests[target]
        return "" if _share(values, test) >= FIT_SHARE else what
    if target in _NAMED and _share(values, parse_number) == 1.0:
        return "names but numbers"
    return ""


def _counts(sample: Sample | None, column: str) -> dict[str, int]:
    if sample is None or column not in sample.columns:
        return {}
    return sample.columns[column].counts


def _values(sample: Sample | None, column: str) -> list[str]:
    return list(_counts(sample, column))


def _attribute_targets(
    columns: list[str], sample: Sample | None, used_names: set[str], reasons: dict[str, str]
) -> tuple[dict[str, str | None], dict[str, str]]:
    """attributes.<header> for the columns nothing claimed, typed from their values.

    A lead holds at most 50 attributes: columns with values in the sample
    come first; columns empty in the sample (they may fill up further down)
    take the places left.
    """
    targets: dict[str, str | None] = {}
    kinds: dict[str, str] = {}
    empty = ColumnValues()

    def filled(column: str) -> bool:
        return sample is None or sample.columns.get(column, empty).filled > 0

    for column in sorted(columns, key=lambda c: not filled(c)):
        name = column[:MAX_ATTRIBUTE_NAME].strip()
        if len(used_names) >= MAX_ATTRIBUTES or name.casefold() in used_names:
            targets[column] = None
            reasons[column] = (
                f"'{column}' ignored: a lead holds at most {MAX_ATTRIBUTES} attributes"
                if len(used_names) >= MAX_ATTRIBUTES
                else f"'{column}' ignored: another column is the attribute '{name}'"
            )
            continue
        used_names.add(name.casefold())
        counts = _counts(sample, column)
        kind = infer_kind(counts, order=guess_date_order(list(counts)), header=column)
        targets[column] = ATTRIBUTE_PREFIX + name
        kinds[name] = kind
        reasons.setdefault(column, f"'{column}' is kept as the attribute '{name}' ({kind})")
    return targets, kinds


def guess_stages(values: Iterable[str], template: Template | None = None) -> dict[str, str | None]:
    """Targets for the stage values it recognises (the template's first, then any CRM's, then
    leadloop's own stage names and common words); unknown values are left out."""
    tables = [template.stage_targets()] if template else []
    tables += [t.stage_targets() for t in TEMPLATES.values()]
    words: dict[str, str | None] = {
        value_key(w): str(stage) for stage, ws in _STAGE_WORDS.items() for w in ws
    }
    words.update({value_key(s.label): str(s) for s in Stage if s in IMPORT_STAGES})
    words.update({value_key(stage): stage for stage in IMPORT_STAGES})
    tables.append(words)
    found: dict[str, str | None] = {}
    for value in values:
        key = value_key(value)
        for table in tables:
            if key in table:
                found[value] = table[key]
                break
    return found


def _date_order(
    mapping_columns: dict[str, str | None], kinds: dict[str, str], sample: Sample | None
) -> str | None:
    """One order for every date column the mapping reads (created_at and date attributes)."""
    if sample is None:
        return None
    dated = [
        value
        for column, target in mapping_columns.items()
        if target == "created_at"
        or (
            target and is_attribute(target) and kinds.get(target[len(ATTRIBUTE_PREFIX) :]) == "date"
        )
        for value in _values(sample, column)
    ]
    order = guess_date_order(dated)
    if order or not dated:
        return order
    # The sample cannot tell 03/04/2024 apart: month first for '/', day first for '.' and '-'.
    return "mdy" if any("/" in value for value in dated) else "dmy"


def _order(
    columns: dict[str, str | None], rank: dict[str, tuple[int, ...]]
) -> dict[str, str | None]:
    """Columns in file order, except that columns feeding one field come surest first."""

    def group(column: str) -> tuple[str, str]:
        target = columns[column]
        return ("field", target) if target and not is_attribute(target) else ("column", column)

    groups: dict[tuple[str, str], list[str]] = {}
    for column in columns:
        groups.setdefault(group(column), []).append(column)
    ordered: dict[str, str | None] = {}
    for column in columns:
        if column not in ordered:
            for member in sorted(groups[group(column)], key=lambda c: rank.get(c, (0,))):
                ordered[member] = columns[member]
    return ordered


def guess(header: list[str], sample: Sample | None = None) -> Guess:
    """The `auto` mapping for a file's header and sample, with a reason for every column."""
    reasons: dict[str, str] = {}
    candidates: dict[str, tuple[str, int, str]] = {}
    misfits: dict[str, str] = {}
    for column in header:
        found = _by_header(column)
        values = _values(sample, column)
        if found is None or (
            found[0] in ("email", "phone", "country", "created_at") and found[1] == SIMILAR
        ):
            found = _by_content(column, values) or found
        if found and (what := _misfit(found[0], values)):
            misfits[column] = f"{found[2]}, but its values are not {what}"
            found = None
        if found:
            candidates[column] = found
    # A single-value field goes to its surest column (the first one on a tie).
    winners: dict[str, str] = {}
    for column, (target, strength, _) in candidates.items():
        if target in MULTI_COLUMN_FIELDS:
            continue
        best = winners.get(target)
        if best is None or strength > candidates[best][1]:
            winners[target] = column
    assigned: dict[str, str | None] = {}
    for column, (target, _, reason) in candidates.items():
        if target in MULTI_COLUMN_FIELDS or winners.get(target) == column:
            assigned[column] = target
            reasons[column] = reason
    _names(assigned, reasons)
    _salutation(assigned, reasons, sample)
    rest = [column for column in header if column not in assigned]
    used = {
        t[len(ATTRIBUTE_PREFIX) :].casefold() for t in assigned.values() if t and is_attribute(t)
    }
    extra, kinds = _attribute_targets(rest, sample, used, reasons)
    for column, why in misfits.items():
        reasons[column] = f"{why}: {reasons[column]}"
    columns: dict[str, str | None] = {
        column: assigned[column] if column in assigned else extra[column] for column in header
    }
    # Among columns of one field: surest first, then the one a CRM writes first
    # (Lead Status before Lifecycle Stage, Phone before Mobile), then file order.
    rank: dict[str, tuple[int, ...]] = {
        c: (-candidates[c][1], _PRIORITY.get(header_key(c), 0), i)
        for i, c in enumerate(header)
        if c in candidates
    }
    columns = _order(columns, rank)
    stage_values = [v for c, t in columns.items() if t == "stage" for v in _values(sample, c)]
    return Guess(
        Mapping(
            columns=columns,
            stages=guess_stages(stage_values),
            date_order=_date_order(columns, kinds, sample),
            kinds=kinds,
        ),
        reasons,
    )


def _names(assigned: dict[str, str | None], reasons: dict[str, str]) -> None:
    """A 'Name' column beside 'Vorname' is the last name; beside first and last it is redundant."""
    targets = set(assigned.values())
    for column, target in list(assigned.items()):
        if target != "full_name":
            continue
        if {"first_name", "last_name"} <= targets:
            assigned[column] = None
            reasons[column] = f"'{column}' repeats the first and last name columns"
        elif (
            "first_name" in targets and "last_name" not in targets and header_key(column) == "name"
        ):
            assigned[column] = "last_name"
            reasons[column] = f"'{column}' beside a first name column is the last name"


def _salutation(
    assigned: dict[str, str | None], reasons: dict[str, str], sample: Sample | None
) -> None:
    """A 'Title' column of Mr/Ms/Dr holds salutations, not job titles."""
    for column, target in list(assigned.items()):
        values = _values(sample, column)
        if (
            target == "title"
            and values
            and _share(values, lambda v: v.casefold().rstrip(".") in _SALUTATIONS) >= CONTENT_SHARE
        ):
            assigned[column] = ATTRIBUTE_PREFIX + "salutation"
            reasons[column] = f"'{column}' holds salutations (Mr, Ms), not job titles"


def from_template(template: Template, header: list[str], sample: Sample | None = None) -> Guess:
    """A built-in mapping fitted to a file: its known headers, the rest as typed attributes."""
    known = template.targets()
    reasons: dict[str, str] = {}
    assigned: dict[str, str | None] = {}
    rank: dict[str, tuple[int, ...]] = {}
    for position, column in enumerate(header):
        hit = known.get(header_key(column))
        if hit is not None:
            assigned[column], priority = hit
            rank[column] = (priority, position)
            reasons[column] = f"'{column}' is a {template.name} column"
    rest = [column for column in header if column not in assigned]
    used = {
        t[len(ATTRIBUTE_PREFIX) :].casefold() for t in assigned.values() if t and is_attribute(t)
    }
    extra, kinds = _attribute_targets(rest, sample, used, reasons)
    for target in assigned.values():
        if target and is_attribute(target):
            name = target[len(ATTRIBUTE_PREFIX) :]
            column = next(c for c, t in assigned.items() if t == target)
            counts = _counts(sample, column)
            kinds.setdefault(
                name, infer_kind(counts, order=guess_date_order(list(counts)), header=column)
            )
    columns = _order({c: assigned[c] if c in assigned else extra[c] for c in header}, rank)
    stages: dict[str, str | None] = {
        str(value): None if stage is None else str(stage)
        for stage, values in template.stages.items()
        for value in values
    }
    stage_values = [v for c, t in columns.items() if t == "stage" for v in _values(sample, c)]
    known_values = {value_key(v) for v in stages}
    stages.update(
        (value, stage)
        for value, stage in guess_stages(stage_values, template).items()
        if value_key(value) not in known_values
    )
    return Guess(
        Mapping(
            columns=columns,
            stages=stages,
            date_order=_date_order(columns, kinds, sample),
            kinds=kinds,
        ),
        reasons,
    )


def mapping_for(name: str, header: list[str], sample: Sample | None = None) -> Mapping:
    """The mapping called `name` ('auto', 'salesforce', 'hubspot', 'pipedrive', 'leadloop')."""
    if name == "auto":
        return guess(header, sample).mapping
    template = TEMPLATES.get(name)
    if template is None:
        raise KeyError(f"no built-in mapping '{name}'; choose auto, {', '.join(TEMPLATES)}")
    return from_template(template, header, sample).mapping


def guess_mapping(header: list[str], sample: Sample | None = None) -> Mapping:
    """The `auto` mapping (see `guess` for its reasons)."""
    return guess(header, sample).mapping
