from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from leadloop.api.schemas import ERRORS
from leadloop.handoff.selectors import active_definition

router = Router(tags=["reference"])


class CriterionOut(Schema):
    key: str
    label: str
    required: bool
    help: str


class QualificationOut(Schema):
    version: int
    name: str
    criteria: list[CriterionOut]
    keys: list[str]


@router.get(
    "/qualification",
    response={200: QualificationOut, **ERRORS},
    summary="The active qualification definition",
)
def qualification(request: HttpRequest) -> Any:
    d = active_definition()
    criteria = [
        {
            "key": c["key"],
            "label": c.get("label", c["key"]),
            "required": bool(c.get("required", True)),
            "help": c.get("help", ""),
        }
        for c in d.criteria
    ]
    return {
        "version": d.version,
        "name": d.name,
        "criteria": criteria,
        "keys": [c["key"] for c in criteria],
    }
