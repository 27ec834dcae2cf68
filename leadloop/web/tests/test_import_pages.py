"""The import wizard and the lead list's export, through the pages."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadloop.imports.models import ImportState, LeadImport
from leadloop.leads.models import Lead
from leadloop.testing import World, client_for, make_lead

CSV = (
    "Vorname;Nachname;Firma;E-Mail;Status;Land;Messe-Stand\r\n"
    "Jörg;Müller;Müller GmbH;joerg@mueller.example;Neu;Deutschland;A4\r\n"
    "Eva;Kunz;Kunz AG;eva@kunz.example;Verloren;Österreich;B2\r\n"
    "Tom;Bad;Bad KG;kein-email;Neu;Deutschland;C1\r\n"
).encode("cp1252")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def upload(client: Any) -> Any:
    return client.post(
        "/imports/new",
        {"file": SimpleUploadedFile("messe.csv", CSV), "mapping": "auto"},
    )


def test_the_wizard_from_upload_to_imported_leads(world: World, on_commit: Any) -> None:
    client = client_for(world.marketing)
    answer = upload(client)
    assert answer.status_code == 302
    lead_import = LeadImport.objects.get()
    page = client.get(answer["Location"])
    text = page.content.decode()
    # The guessed mapping, with sample values and the stage values found in the file.
    assert page.status_code == 200
    assert "Jörg" in text and "Müller GmbH" in text
    assert "Verloren" in text
    columns = lead_import.mapping["columns"]
    assert columns["E-Mail"] == "email" and columns["Vorname"] == "first_name"
    form = {
        f"col-{i}": (columns[name] or "").removeprefix("attributes.")
        and ("attribute" if (columns[name] or "").startswith("attributes.") else columns[name])
        for i, name in enumerate(lead_import.header)
    }
    form |= {
        "col-4": "stage",
        "stage-value-1": "Neu",
        "stage-1": "new",
        "stage-value-2": "Verloren",
        "stage-2": "lost",
        "campaign": world.a.campaign.pk,
        "channel": "trade_show",
        "on_error": "skip",
        "action": "check",
    }
    with on_commit(execute=True):
        checked = client.post(f"/imports/{lead_import.pk}/mapping", form)
    assert checked.status_code == 302
    lead_import.refresh_from_db()
    assert lead_import.state == ImportState.CHECKED
    assert lead_import.checked["created"] == 2
    page = client.get(f"/imports/{lead_import.pk}/").content.decode()
    # The counts, and the problems by line and column.
    assert "Dry run" in page and "is not a valid email address" in page
    errors = client.get(f"/imports/{lead_import.pk}/errors.csv?dry_run=1")
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == "4"
    assert not Lead.objects.filter(email="joerg@mueller.example").exists()
    with on_commit(execute=True):
        done = client.post(f"/imports/{lead_import.pk}/mapping", form | {"action": "import"})
    assert done.status_code == 302
    result = client.get(f"/imports/{lead_import.pk}/").content.decode()
    assert "Imported" in result
    joerg = Lead.objects.get(email="joerg@mueller.example")
    assert (joerg.first_name, joerg.country, joerg.attributes) == (
        "Jörg",
        "DE",
        {"Messe-Stand": "A4"},
    )
    assert Lead.objects.get(email="eva@kunz.example").stage == "lost"
    listed = client.get(f"/leads/?import={lead_import.pk}").content.decode()
    assert "Jörg" in listed and "Eva" in listed


def test_who_may_use_the_wizard(world: World) -> None:
    assert client_for(world.a.inside).get("/imports/new").status_code == 403
    assert client_for(world.a.sales_rep).get("/imports/").status_code == 403
    answer = upload(client_for(world.a.tele_manager))
    assert answer.status_code == 302
    lead_import = LeadImport.objects.get()
    assert client_for(world.b.tele_manager).get(f"/imports/{lead_import.pk}/").status_code == 404
    assert client_for(world.admin).get(f"/imports/{lead_import.pk}/").status_code == 200
    refused = client_for(world.b.tele_manager).post(f"/imports/{lead_import.pk}/mapping", {})
    assert refused.status_code == 404


def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(world: World) -> None:
    client = client_for(world.marketing)
    answer = client.post(
        "/imports/new",
        {"file": SimpleUploadedFile("x.csv", bytes(range(256)) * 8), "mapping": "auto"},
    )
    assert answer.status_code == 422
    assert "The file is not text" in answer.content.decode()
    assert not LeadImport.objects.exists()


def test_the_lead_list_exports_what_its_filters_show(world: World) -> None:
    mine = make_lead(world.a, owner=world.a.inside, last_name="Mine")
    make_lead(world.a, owner=world.a.inside2, last_name="Other")
    client = client_for(world.a.tele_manager)
    page = client.get(f"/leads/?owner={world.a.inside.pk}").content.decode()
    assert f"/leads/export?owner={world.a.inside.pk}" in page
    answer = client.get(f"/leads/export?owner={world.a.inside.pk}")
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == [str(mine.pk)]
    xlsx = client.get("/leads/export?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_outcome_data_set_without_contact_data_through_the_wizard(
    world: World, on_commit: Any
) -> None:
    """No email, no phone: the check is refused until the outcome column is the stage
    with closed targets; the wizard offers its values, and the rows come in as history."""
    data = b"Prospect ID,TotalVisits,Converted\r\n7927b2df,5,1\r\n2a272436,n/a,0\r\n"
    client = client_for(world.marketing)
    answer = client.post(
        "/imports/new", {"file": SimpleUploadedFile("outcomes.csv", data), "mapping": "auto"}
    )
    lead_import = LeadImport.objects.get()
    form = {
        "col-0": "attribute",
        "col-1": "attribute",
        "col-2": "attribute",
        "campaign": world.a.campaign.pk,
        "channel": "other",
        "on_error": "skip",
        "action": "check",
    }
    with on_commit(execute=True):
        assert client.post(f"/imports/{lead_import.pk}/mapping", form).status_code == 302
    refused = client.get(f"/imports/{lead_import.pk}/").content.decode()
    assert "an open lead needs one of them" in refused
    # The outcome column as the stage: its values are offered for a target.
    form["col-2"] = "stage"
    with on_commit(execute=True):
        assert client.post(f"/imports/{lead_import.pk}/mapping", form).status_code == 302
    text = client.get(f"/imports/{lead_import.pk}/").content.decode()
    assert 'name="stage-value-1"' in text and 'name="stage-value-2"' in text
    values = sorted(
        (text.split(f'name="stage-value-{i}" value="')[1].split('"')[0], i) for i in (1, 2)
    )
    form |= {f"stage-value-{i}": v for v, i in values}
    form |= {f"stage-{i}": {"0": "lost", "1": "won"}[v] for v, i in values}
    form["action"] = "import"
    with on_commit(execute=True):
        done = client.post(f"/imports/{lead_import.pk}/mapping", form)
    assert done.status_code == 302, done.content.decode()[:2000]
    leads = Lead.objects.filter(attributes__has_key="Prospect ID").order_by("pk")
    assert [(lead.stage, lead.attributes.get("TotalVisits")) for lead in leads] == [
        ("won", 5),
        ("lost", None),
    ]
    assert answer.status_code == 302
