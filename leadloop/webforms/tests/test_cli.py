"""`leadloop forms list`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from leadloop.testing import World
from leadloop.webforms.models import Form
from leadloop.webforms.tests.conftest import make_form

pytestmark = pytest.mark.django_db


def test_forms_list_shows_keys_states_and_numbers(world: World) -> None:
    form = make_form(world)
    make_form(world, name="Beta webinar signup", campaign=world.b.campaign, is_active=False)
    Client().get(f"/f/{form.key}")
    Client().post(f"/f/{form.key}", {"email": "bot@spam.example", "website_url": "x"})
    out = StringIO()
    call_command("forms", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["id", "name", "campaign"]
    assert any("Request info" in line and "active" in line and form.key in line for line in lines)
    assert any("Beta webinar signup" in line and "paused" in line for line in lines)
    out = StringIO()
    call_command("forms", "list", "--json", "--campaign", world.a.campaign.name, stdout=out)
    [row] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert row["id"] == form.pk and row["views"] == 1 and row["spam"]["honeypot"] == 1
    assert row["page_url"].endswith(f"/f/{form.key}")
    with pytest.raises(CommandError, match="--campaign"):
        call_command("forms", "list", "--campaign", "nope")
    Form.objects.all().delete()
    out = StringIO()
    call_command("forms", "list", stdout=out)
    assert out.getvalue().strip() == "No web forms."
