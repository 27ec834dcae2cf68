"""What a column may be mapped to, and how names and values are compared.

One vocabulary for the mapping file, the built-in CRM mappings, the guess and
the converter, so that "first name", "FirstName" and "first_name" are the
same header everywhere and a stage target means the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

from leadloop.leads.choices import Stage

# The lead's own fields a column can fill, in the order the issue lists them.
LEAD_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "employees",
    "revenue_band",
    "country",
    "region",
    "campaign",
    "created_at",
    "stage",
    "owner",
    "sales_rep",
    "reason_code",
    "note",
)
# Not a field of its own: split into first_name and last_name.
FULL_NAME = "full_name"
ATTRIBUTE_PREFIX = "attributes."
TARGETS: tuple[str, ...] = (*LEAD_FIELDS, FULL_NAME)
# Fields that several columns may feed (the first non-empty value in the
# mapping's column order wins): a person has a work and a mobile phone, a
# HubSpot export has a lead status and a lifecycle stage.
MULTI_COLUMN_FIELDS = frozenset({"email", "phone", "stage", "company", "owner", "campaign"})

# The stages an imported row may be created in. The others (handed_off,
# accepted, meeting_held, ...) need records an import does not have (a handoff
# write-up, a meeting): such rows come in at the nearest stage listed here.
IMPORT_STAGES: tuple[str, ...] = (
    Stage.NEW.value,
    Stage.WORKING.value,
    Stage.UNREACHABLE.value,
    Stage.DISQUALIFIED.value,
    Stage.NURTURE.value,
    Stage.OPPORTUNITY.value,
    Stage.WON.value,
    Stage.LOST.value,
    Stage.DISQUALIFIED_BY_SALES.value,
)
# A stage value mapped to null (or "skip" in a mapping file) means: do not
# import rows with that value (spam, deleted records).
SKIP = "skip"

# Attribute kinds an unmapped column may be stored as.
KINDS: tuple[str, ...] = ("number", "boolean", "date", "category", "text")

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents: 'Société' and 'societe' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def header_key(header: str) -> str:
    """A header compared without case, spaces or punctuation: 'First Name' = 'first_name'."""
    return _NON_ALNUM.sub("", fold(header))


def value_key(value: str) -> str:
    """A cell value compared without case, underscores or runs of spaces (stage, owner values).

    HubSpot exports a lead status as IN_PROGRESS or as In Progress, depending
    on the export; both are the same value.
    """
    return " ".join(value.casefold().replace("_", " ").split())


def is_attribute(target: str) -> bool:
    return target.startswith(ATTRIBUTE_PREFIX)


def attribute_name(target: str) -> str:
    return target[len(ATTRIBUTE_PREFIX) :]
