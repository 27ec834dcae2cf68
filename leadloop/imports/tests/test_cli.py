"""`leadloop import` for someone who starts from a file and no mapping."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from leadloop.imports.models import LeadImport
from leadloop.imports.tests.files import write_csv
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.testing import World

pytestmark = pytest.mark.django_db

# An anonymised outcome data set: no email, no phone, a 0/1 outcome.
ROWS = [
    ["Prospect ID", "Lead Source", "TotalVisits", "Converted"],
    ["7927b2df", "Google", "5", "1"],
    ["2a272436", "Olark Chat", "n/a", "0"],
]


def test_a_refused_guess_says_how_to_get_the_mapping_and_the_edited_one_imports(
    world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "outcomes.csv", ROWS)
    team = world.a.tele.name
    with pytest.raises(CommandError) as refused:
        call_command("import", "leads", str(path), "--campaign", "Outcomes", "--team", team)
    lead_import = LeadImport.objects.get()
    assert f"`leadloop import show {lead_import.pk} --mapping map.json`" in str(refused.value)
    written = tmp_path / "map.json"
    call_command(
        "import", "show", str(lead_import.pk), "--mapping", str(written), stdout=StringIO()
    )
    mapping = json.loads(written.read_text(encoding="utf-8"))
    assert mapping["columns"]["TotalVisits"] == "attributes.TotalVisits"
    # What the person edits: the outcome column is the stage.
    mapping["columns"]["Converted"] = "stage"
    mapping["stages"] = {"1": "won", "0": "lost"}
    written.write_text(json.dumps(mapping), encoding="utf-8")
    out = StringIO()
    call_command(
        "import", "leads", str(path), "--mapping", str(written), "--campaign", "Outcomes",
        "--team", team, stdout=out,
    )  # fmt: skip
    assert "created            2" in out.getvalue()
    won, lost = Lead.objects.filter(attributes__has_key="Prospect ID").order_by("pk")
    assert (won.stage, lost.stage) == (Stage.WON, Stage.LOST)
    # The guess took the lead source for the campaign, one per row.
    assert (won.campaign.name, lost.campaign.name) == ("Google", "Olark Chat")
    assert won.attributes["TotalVisits"] == 5 and "TotalVisits" not in lost.attributes
