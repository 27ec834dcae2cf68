from __future__ import annotations

from typing import Any

import pytest

from leadloop.testing import NOW, World
from leadloop.webforms.models import Form
from leadloop.webforms.services import create_form

FIELDS = [
    {"name": "first_name", "required": True},
    {"name": "last_name", "required": True},
    {"name": "email", "label": "Work email", "required": True},
    "company",
    {"name": "attributes.budget", "label": "Budget"},
]


def make_form(world: World, **overrides: Any) -> Form:
    values: dict[str, Any] = {
        "actor": world.marketing,
        "campaign": world.a.campaign,
        "name": "Request info",
        "fields": FIELDS,
        "consent_text": "You may contact me about my request.",
        "allowed_origins": ["https://www.example.com"],
        "now": NOW,
    }
    return create_form(**(values | overrides))


@pytest.fixture
def form(world: World) -> Form:
    return make_form(world)
