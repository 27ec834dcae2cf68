"""Imports and exports through the API: upload, follow, fetch the refused rows; take leads out."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine as calamine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from leadloop.imports.models import LeadImport
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import NOW, World, make_lead

HEADER = "First Name,Last Name,Company,Email,Lead Status,Country\r\n"


def sf_file(*rows: str, name: str = "sf.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "".join(rows)).encode(), content_type="text/csv")


ROW1 = "Ann,Berg,Firm One,ann@one.example,Open - Not Contacted,Germany\r\n"
ROW2 = "Bo,Lund,Firm Two,bo@two.example,Working - Contacted,Sweden\r\n"
BAD = "Cy,Bad,Firm Three,not-an-email,Open - Not Contacted,Germany\r\n"


@pytest.fixture(autouse=True)
def _worker(django_capture_on_commit_callbacks: Any) -> None:
    """The worker's tasks run when the request's transaction commits (as huey's immediate
    mode does outside a test's rolled-back transaction)."""
    _on_commit[0] = django_capture_on_commit_callbacks


_on_commit: list[Any] = [None]


def post(path: str, **kw: Any) -> Any:
    with _on_commit[0](execute=True):
        return Client().post(path, **kw)


def upload(world: World, user: Any, file: SimpleUploadedFile, **fields: Any) -> Any:
    data = {"file": file, "mapping": "salesforce", "campaign": world.a.campaign.pk, **fields}
    return post("/api/v1/imports", data=data, **world.auth(user))


def test_an_upload_is_imported_by_the_worker_and_followed_by_its_id(world: World) -> None:
    answer = upload(world, world.marketing, sf_file(ROW1, ROW2, BAD))
    assert answer.status_code == 202, answer.content
    import_id = answer.json()["id"]
    # Tests run the worker's tasks at once (on commit).
    state = Client().get(f"/api/v1/imports/{import_id}", **world.auth(world.marketing)).json()
    assert state["state"] == "done"
    assert state["progress"] == 1.0
    assert state["counts"]["created"] == 2
    assert state["counts"]["skipped"] == 1
    assert state["errors"] == [
        {"line": 4, "column": "Email", "message": "'not-an-email' is not a valid email address"}
    ]
    errors = Client().get(state["errors_csv"], **world.auth(world.marketing))
    assert errors.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["line", "column", "problem", "First Name"]
    assert rows[1][:4] == ["4", "Email", "'not-an-email' is not a valid email address", "Cy"]


def test_a_retried_upload_with_its_key_imports_once(world: World) -> None:
    key = {"HTTP_IDEMPOTENCY_KEY": "upload-1"}
    first = post(
        "/api/v1/imports",
        data={"file": sf_file(ROW1), "mapping": "salesforce", "campaign": world.a.campaign.pk},
        **world.auth(world.marketing),
        **key,
    )
    again = post(
        "/api/v1/imports",
        data={"file": sf_file(ROW1), "mapping": "salesforce", "campaign": world.a.campaign.pk},
        **world.auth(world.marketing),
        **key,
    )
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert LeadImport.objects.count() == 1


def test_an_unusable_file_or_mapping_is_a_422_naming_it(world: World) -> None:
    empty = upload(world, world.marketing, SimpleUploadedFile("e.csv", b""))
    assert empty.status_code == 422
    assert "file" in str(empty.json())
    binary = upload(world, world.marketing, SimpleUploadedFile("b.csv", b"\x00\x01\x02" * 100))
    assert binary.status_code == 422
    mapping = upload(world, world.marketing, sf_file(ROW1), mapping='{"columns": {"Nope": "x"}}')
    assert mapping.status_code == 422
    assert "Nope" in str(mapping.json())
    assert not Lead.objects.filter(email="ann@one.example").exists()


def test_a_dry_run_then_the_run(world: World) -> None:
    answer = upload(world, world.marketing, sf_file(ROW1, ROW2), dry_run="true")
    assert answer.status_code == 202
    import_id = answer.json()["id"]
    checked = Client().get(f"/api/v1/imports/{import_id}", **world.auth(world.marketing)).json()
    assert checked["state"] == "checked"
    assert checked["checked"]["created"] == 2
    assert not Lead.objects.filter(email="ann@one.example").exists()
    run = post(
        f"/api/v1/imports/{import_id}/run",
        data="{}",
        content_type="application/json",
        **world.auth(world.marketing),
    )
    assert run.status_code == 202
    assert Lead.objects.filter(email="ann@one.example").exists()


def test_who_may_import_and_see_imports(world: World) -> None:
    assert upload(world, world.a.inside, sf_file(ROW1)).status_code == 403
    assert upload(world, world.b.tele_manager, sf_file(ROW1)).status_code == 403
    answer = upload(world, world.a.tele_manager, sf_file(ROW1))
    assert answer.status_code == 202
    import_id = answer.json()["id"]
    for user, status in [
        (world.a.tele_manager, 200),
        (world.admin, 200),
        (world.b.tele_manager, 404),
        (world.a.inside, 404),
    ]:
        seen = Client().get(f"/api/v1/imports/{import_id}", **world.auth(user))
        assert seen.status_code == status, user


def _export(world: World, user: Any, query: str = "") -> list[list[str]]:
    answer = Client().get(f"/api/v1/leads/export{query}", **world.auth(user))
    assert answer.status_code == 200, answer.content
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_neutralises_formulas_and_shows_only_what_the_reader_may_see(
    world: World,
) -> None:
    mine = make_lead(world.a, owner=world.a.inside, company='=HYPERLINK("x")', phone="")
    make_lead(world.a, owner=world.a.inside2, attributes={"source_detail": "booth 4"})
    rows = _export(world, world.a.inside)
    header = rows[0]
    assert header[:3] == ["id", "created_at", "stage"]
    assert [int(r[0]) for r in rows[1:]] == [mine.pk]
    assert rows[1][header.index("company")] == '\'=HYPERLINK("x")'
    everything = _export(world, world.admin)
    assert "source_detail" in everything[0]
    filtered = _export(world, world.admin, f"?owner={world.a.inside2.pk}&stage=new")
    assert len(filtered) == 2


def test_the_export_as_xlsx(world: World, tmp_path: Path) -> None:
    make_lead(world.a, company="+49 is not a formula")
    answer = Client().get("/api/v1/leads/export?format=xlsx", **world.auth(world.admin))
    assert answer.status_code == 200
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"".join(answer.streaming_content))
    sheet = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Leads")
    rows = sheet.to_python()
    assert rows[0][0] == "id"
    assert rows[1][rows[0].index("company")] == "+49 is not a formula"


def test_an_export_imports_back_as_the_same_leads(world: World, tmp_path: Path) -> None:
    """The round trip: export, empty the database of leads, import with --mapping leadloop."""
    won = make_lead(world.a, owner=world.a.inside, attributes={"budget": 5000, "vip": True})
    lead_transition(
        lead=won,
        action="disqualify",
        actor=world.a.inside,
        now=NOW,
        data={
            "reason_code": 1,
        },
    )
    make_lead(world.a, owner=world.a.inside2, title="CTO", employees=250, region="Berlin")
    make_lead(world.b, phone="+46 8 123 456 78", email="", country="SE", company="Nord AB")
    columns = [
        "created_at",
        "stage",
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "company",
        "industry",
        "employees",
        "revenue_band",
        "country",
        "region",
        "campaign",
        "channel",
        "owner",
        "reason_code",
    ]
    before = _export(world, world.admin)
    exported = tmp_path / "leads.csv"
    answer = Client().get("/api/v1/leads/export", **world.auth(world.admin))
    exported.write_bytes(b"".join(answer.streaming_content))
    Lead.objects.all().delete()
    answer = post(
        "/api/v1/imports",
        data={
            "file": SimpleUploadedFile("leads.csv", exported.read_bytes()),
            "mapping": "leadloop",
            "campaign": world.a.campaign.pk,
        },
        **world.auth(world.admin),
    )
    assert answer.status_code == 202, answer.content
    state = Client().get(f"/api/v1/imports/{answer.json()['id']}", **world.auth(world.admin))
    assert state.json()["counts"]["created"] == 3, state.json()
    after = _export(world, world.admin)

    def comparable(table: list[list[str]]) -> list[tuple[str, ...]]:
        header = table[0]
        keep = [header.index(c) for c in columns]
        attrs = [i for i, name in enumerate(header) if name not in {*columns, "id", "score"}]
        attrs = [i for i in attrs if header[i] not in {"priority", "sales_rep"}]
        return sorted(
            tuple(row[i] for i in keep) + tuple(f"{header[i]}={row[i]}" for i in attrs)
            for row in table[1:]
        )

    assert comparable(after) == comparable(before)
    assert Lead.objects.get(stage=Stage.DISQUALIFIED).reason_code_id == 1
