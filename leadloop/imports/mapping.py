"""The mapping file: which column fills which lead field, which value means which stage.

    {"columns": {"<source column>": "<leadloop field>" | "attributes.<name>" | null},
     "stages":  {"<source value>": "<leadloop stage>" | null},
     "owners":  {"<source value>": "<username or email>"}}

plus two optional keys the guess fills in and the import stores with the
mapping: "date_order" ("dmy", "mdy" or "ymd") and "kinds" (attribute name
-> "number", "boolean", "date", "category" or "text"). A column mapped to
null is ignored; columns the file has and the mapping does not name are
ignored too (say what you want, get that). A stage value mapped to null (or
"skip") means: do not import rows with that value. `load_mapping` checks
all of it at once and names every bad key with the valid choices.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from leadloop.imports.fields import (
    ATTRIBUTE_PREFIX,
    IMPORT_STAGES,
    KINDS,
    SKIP,
    TARGETS,
    attribute_name,
    is_attribute,
)
from leadloop.imports.values import DATE_ORDERS
from leadloop.leads.person import MAX_ATTRIBUTE_NAME

TOP_KEYS = ("columns", "stages", "owners", "date_order", "kinds")


class MappingError(ValueError):
    """A mapping that cannot be used; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str | None]
    stages: dict[str, str | None] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def target_problem(target: object) -> str:
    """What is wrong with a column's target, or ''."""
    if target is None:
        return ""
    if not isinstance(target, str):
        return f"{json.dumps(target)} is not a leadloop field name, attributes.<name> or null"
    if is_attribute(target):
        name = attribute_name(target)
        if not name.strip() or len(name) > MAX_ATTRIBUTE_NAME:
            return (
                f"'{target[:80]}' needs an attribute name of 1 to {MAX_ATTRIBUTE_NAME} characters"
            )
        return ""
    if target in TARGETS:
        return ""
    return (
        f"'{target}' is not a leadloop field{_suggest(target, TARGETS)}; use one of "
        f"{', '.join(TARGETS)}, {ATTRIBUTE_PREFIX}<name>, or null to ignore the column"
    )


def stage_problem(stage: object) -> str:
    """What is wrong with a stage value's target, or ''."""
    if stage is None or stage == SKIP or stage in IMPORT_STAGES:
        return ""
    return (
        f"'{stage}' is not a stage an import can create"
        f"{_suggest(str(stage), IMPORT_STAGES)}; use one of {', '.join(IMPORT_STAGES)}, "
        "or null to skip rows with this value"
    )


def _object(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f'"{key}" must be an object of "source": target pairs')
        return {}
    return value


def load_mapping(source: str | bytes | dict[str, Any]) -> Mapping:
    """A Mapping from the JSON text or object; MappingError lists everything wrong with it."""
    if isinstance(source, str | bytes):
        try:
            data = json.loads(source)
        except ValueError as exc:
            raise MappingError([f"The mapping is not valid JSON: {exc}."]) from None
    else:
        data = source
    if not isinstance(data, dict):
        raise MappingError(
            ['The mapping must be a JSON object with "columns", "stages", "owners".']
        )
    problems: list[str] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                f'Unknown key "{key}"{_suggest(str(key), TOP_KEYS)}; a mapping has '
                '"columns", "stages" and "owners" (and optionally "date_order", "kinds").'
            )
    if "columns" not in data:
        problems.append('The mapping has no "columns": say which column fills which field.')
    columns: dict[str, str | None] = {}
    for column, target in _object(data, "columns", problems).items():
        problem = target_problem(target)
        if not column.strip():
            problems.append('columns: a column name must not be empty ("").')
        elif problem:
            problems.append(f"columns: '{column}' -> {problem}.")
        else:
            columns[column] = target
    stages: dict[str, str | None] = {}
    for value, stage in _object(data, "stages", problems).items():
        problem = stage_problem(stage)
        if problem:
            problems.append(f"stages: '{value}' -> {problem}.")
        else:
            stages[value] = None if stage in (None, SKIP) else stage
    owners: dict[str, str] = {}
    for value, user in _object(data, "owners", problems).items():
        if not isinstance(user, str) or not user.strip():
            problems.append(f"owners: '{value}' must name a user (username or email).")
        else:
            owners[value] = user.strip()
    date_order = data.get("date_order")
    if date_order is not None and date_order not in DATE_ORDERS:
        problems.append(f'"date_order" must be one of {", ".join(DATE_ORDERS)} or null.')
        date_order = None
    kinds: dict[str, str] = {}
    for name, kind in _object(data, "kinds", problems).items():
        if kind not in KINDS:
            problems.append(f"kinds: '{name}' must be one of {', '.join(KINDS)}.")
        else:
            kinds[name] = kind
    if problems:
        raise MappingError(problems)
    return Mapping(columns, stages, owners, date_order, kinds)


def dump_mapping(mapping: Mapping) -> dict[str, Any]:
    """The mapping as the JSON object `load_mapping` reads (stored with each import)."""
    data: dict[str, Any] = {
        "columns": dict(mapping.columns),
        "stages": dict(mapping.stages),
        "owners": dict(mapping.owners),
    }
    if mapping.date_order:
        data["date_order"] = mapping.date_order
    if mapping.kinds:
        data["kinds"] = dict(mapping.kinds)
    return data
