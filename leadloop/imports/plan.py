"""A mapping checked against one file: the last word before anything is written.

`resolve` finds every column the mapping names in the file's header and
refuses, with every reason at once, a mapping that names a column the file
lacks, a stage value found in the file that has no target, or a file in
which no column gives a lead its email or phone (unless it is a history of
closed leads). What it returns (a Plan) is what the converter is built from.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from leadloop.imports.fields import (
    IMPORT_STAGES,
    attribute_name,
    header_key,
    is_attribute,
    value_key,
)
from leadloop.imports.kinds import infer_kind
from leadloop.imports.mapping import Mapping
from leadloop.imports.sampling import Sample
from leadloop.imports.values import guess_date_order
from leadloop.leads.person import MAX_ATTRIBUTES
from leadloop.leads.states import OPEN_STAGES


class PlanError(ValueError):
    """The mapping does not fit the file; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Plan:
    header: list[str]
    # lead field (and full_name) -> the positions of its columns, first non-empty wins
    fields: dict[str, tuple[int, ...]]
    # attribute name -> the positions of its columns
    attributes: dict[str, tuple[int, ...]]
    kinds: dict[str, str]  # attribute name -> kind
    stages: dict[str, str | None]  # value_key(source value) -> stage, None: skip the row
    owners: dict[str, str]  # value_key(source value) -> username or email
    date_order: str | None
    ignored: list[str]  # the file's columns that nothing reads
    # The mapping as applied (kinds filled in): store it with the import.
    mapping: Mapping


def _header_keys(header: list[str]) -> dict[str, int]:
    """Each header's key (case and punctuation aside), at its first position."""
    keys: dict[str, int] = {}
    for index, name in enumerate(header):
        keys.setdefault(header_key(name), index)
    return keys


def _find(column: str, header: list[str], keys: dict[str, int]) -> int | None:
    if column in header:
        return header.index(column)
    return keys.get(header_key(column))


def _missing_column(column: str, header: list[str]) -> str:
    keys = {header_key(name): name for name in reversed(header)}
    close = [keys[k] for k in difflib.get_close_matches(header_key(column), keys, n=3, cutoff=0.6)]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(repr(c) for c in header[:30]) + (", ..." if len(header) > 30 else "")
    return (
        f"The mapping names the column '{column}', which the file does not have.{hint} "
        f"The file's columns: {listed}."
    )


def _kinds(
    mapping: Mapping,
    header: list[str],
    attributes: dict[str, list[int]],
    sample: Sample | None,
) -> dict[str, str]:
    """Each attribute's kind: the mapping's, or inferred from the sample's values (text
    without a sample)."""
    kinds = {name: mapping.kinds.get(name, "") for name in attributes}
    for name, positions in attributes.items():
        if not kinds[name]:
            counts: Counter[str] = Counter()
            if sample is not None:
                for position in positions:
                    counts.update(sample.columns[header[position]].counts)
            kinds[name] = infer_kind(
                counts, order=guess_date_order(list(counts)), header=header[positions[0]]
            )
    return kinds


def typed(mapping: Mapping, header: list[str], sample: Sample) -> Mapping:
    """The mapping with a kind for every attribute it leaves untyped, from the sample.

    A mapping written by hand seldom says that a column holds numbers; without
    a kind every attribute would be stored as text, and a number (visits, time
    on the site) would reach scoring as a category per distinct value.
    """
    keys = _header_keys(header)
    attributes: dict[str, list[int]] = {}
    for column, target in mapping.columns.items():
        position = _find(column, header, keys)
        if position is not None and target is not None and is_attribute(target):
            attributes.setdefault(attribute_name(target), []).append(position)
    return replace(mapping, kinds={**mapping.kinds, **_kinds(mapping, header, attributes, sample)})


def resolve(
    mapping: Mapping,
    header: list[str],
    *,
    stage_values: Iterable[str] = (),
    sample: Sample | None = None,
) -> Plan:
    """Check `mapping` against a file's header and the stage values found in it.

    `stage_values` are the distinct values of the stage column(s) (from
    `sampling.distinct_values` over the whole file, or the sample). With a
    `sample`, attributes whose kind the mapping does not give get one
    inferred from their values; without, they are text.
    """
    problems: list[str] = []
    keys = _header_keys(header)
    fields: dict[str, list[int]] = {}
    attributes: dict[str, list[int]] = {}
    used: set[int] = set()
    for column, target in mapping.columns.items():
        position = _find(column, header, keys)
        if position is None:
            problems.append(_missing_column(column, header))
            continue
        if position in used:
            continue
        used.add(position)
        if target is None:
            continue
        if is_attribute(target):
            attributes.setdefault(attribute_name(target), []).append(position)
        else:
            fields.setdefault(target, []).append(position)
    stages = {value_key(value): stage for value, stage in mapping.stages.items()}
    # A history: its stage column holds closed stages (those the file's values map to,
    # or, without the values, those the mapping maps to).
    stage_values = list(stage_values)
    targets = (
        [stages.get(value_key(v)) for v in stage_values]
        if stage_values
        else list(mapping.stages.values())
    )
    history = "stage" in fields and any(t is not None and t not in OPEN_STAGES for t in targets)
    # Until every stage value has a target, whether the file is a history is not known.
    unmapped = sorted({v for v in stage_values if v.strip() and value_key(v) not in stages})
    undecided = "stage" in fields and bool(unmapped) and not history
    if not {"email", "phone"} & fields.keys() and not history and not undecided:
        # A file of closed leads (an outcome history) may go without: see
        # `clean_lead_fields`. Its open rows are then refused one by one.
        problems.append(
            "No column is mapped to email or phone, and an open lead needs one of them: map "
            "the column that holds email addresses to email (or phone numbers to phone). A "
            "file of closed leads only (history, for reports and scoring) may go without: "
            "map its outcome column to stage, with closed targets such as won or lost."
        )
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(
            f"The mapping makes {len(attributes)} attributes; a lead holds at most "
            f"{MAX_ATTRIBUTES}. Map the columns you do not need to null."
        )
    if "stage" in fields and unmapped:
        shown = ", ".join(repr(v) for v in unmapped[:20])
        more = f" and {len(unmapped) - 20} more" if len(unmapped) > 20 else ""
        problems.append(
            f"These stage values in the file have no target: {shown}{more}. Give each a "
            f'target in "stages": one of {", ".join(IMPORT_STAGES)}, or null to skip '
            "the rows that have it."
        )
    if problems:
        raise PlanError(problems)
    kinds = _kinds(mapping, header, attributes, sample)
    applied = replace(mapping, kinds=kinds)
    return Plan(
        header=list(header),
        fields={name: tuple(positions) for name, positions in fields.items()},
        attributes={name: tuple(positions) for name, positions in attributes.items()},
        kinds=kinds,
        stages=stages,
        owners={value_key(value): user for value, user in mapping.owners.items()},
        date_order=mapping.date_order,
        ignored=[name for position, name in enumerate(header) if position not in used],
        mapping=applied,
    )
