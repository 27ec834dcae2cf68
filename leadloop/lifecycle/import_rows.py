"""One file row on its way to a lead: converted, cleaned like any intake, fingerprinted.

Pure: no database. A row either becomes a `Prepared` lead-to-be or a list
of problems naming its line, the file's column and what is wrong, so the
person importing can fix the file. The cleaning is `clean_lead_fields`,
the same as the API's and the web form's: a lead is valid, and "the same
person", whichever door it comes through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from leadloop.imports.converter import ConvertedRow
from leadloop.leads.choices import Stage
from leadloop.leads.person import PERSON_FIELDS, clean_lead_fields
from leadloop.leads.states import OPEN_STAGES
from leadloop.lib.times import iso_utc


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str


@dataclass
class Prepared:
    """A valid row: the lead fields cleaned, the rest as the file said it."""

    line: int
    cells: Sequence[str]
    person: dict[str, Any]
    stage: str
    created_at: datetime | None
    owner: str
    sales_rep: str
    reason: str
    note: str
    campaign: str
    fingerprint: str
    # Filled by the batch: who is who in the database.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, str, str]:
        p = self.person
        return p["email_key"], p["phone_key"], p["person_key"]


def prepare(
    line: int,
    cells: Sequence[str],
    converted: ConvertedRow,
    *,
    column_of: Callable[[str, ConvertedRow], str],
) -> Prepared | list[Problem]:
    """The row as a lead-to-be, or what is wrong with it (every problem, not just the first)."""
    problems = [Problem(line, column, message) for column, message in converted.errors]
    values = converted.fields
    data: dict[str, Any] = {name: values.get(name) for name in PERSON_FIELDS}
    data["attributes"] = dict(converted.attributes)
    stage = str(values.get("stage") or Stage.NEW)
    try:
        # A closed row is history: it needs no contact data (see clean_lead_fields).
        person = clean_lead_fields(data, contact=stage in OPEN_STAGES)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.extend(Problem(line, column_of(name, converted), m) for m in messages)
        person = {}
    if problems:
        return problems
    created_at = values.get("created_at")
    row = Prepared(
        line=line,
        cells=cells,
        person=person,
        stage=stage,
        created_at=created_at,
        owner=str(values.get("owner") or "").strip(),
        sales_rep=str(values.get("sales_rep") or "").strip(),
        reason=str(values.get("reason_code") or "").strip(),
        note=str(values.get("note") or "").strip(),
        campaign=str(values.get("campaign") or "").strip(),
        fingerprint="",
    )
    row.fingerprint = fingerprint(row)
    return row


_FINGERPRINT_FIELDS = (*PERSON_FIELDS,)


def fingerprint(row: Prepared) -> str:
    """What the row says, hashed: the same row imported again (any file, any order) is known.

    The cleaned values, not the raw text, so a re-export with other quoting,
    encoding or column order is still the same row. Fields in a fixed order,
    separated by a control character no cleaned value holds.
    """
    person = row.person
    parts = [str(person.get(name) or "") for name in _FINGERPRINT_FIELDS]
    parts += [
        row.stage,
        iso_utc(row.created_at) if row.created_at else "",
        row.owner,
        row.sales_rep,
        row.reason,
        row.note,
        row.campaign,
    ]
    attributes = person.get("attributes") or {}
    if attributes:
        parts.append(json.dumps(attributes, sort_keys=True, ensure_ascii=False, default=str))
    text = "\x1f".join(parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
