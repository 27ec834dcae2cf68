"""Files shaped like the CRMs' own exports, through the built-in mappings and through `auto`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadloop.imports.converter import ConvertedRow, Converter
from leadloop.imports.guess import mapping_for
from leadloop.imports.mapping import Mapping
from leadloop.imports.plan import resolve
from leadloop.imports.reading import open_table
from leadloop.imports.sampling import distinct_values, sample
from leadloop.imports.tests.files import write_csv, write_xlsx

BERLIN = ZoneInfo("Europe/Berlin")


def run(path: Path, name: str, zone: ZoneInfo = BERLIN) -> tuple[Mapping, list[ConvertedRow]]:
    """What the database side does before it writes: sample, map, check, convert every row."""
    found = sample(path)
    mapping = mapping_for(name, found.header, found)
    stage_columns = [c for c, t in mapping.columns.items() if t == "stage"]
    values = distinct_values(path, stage_columns)
    plan = resolve(
        mapping,
        found.header,
        stage_values=[v for column in values.values() for v in column.counts],
        sample=found,
    )
    converter = Converter(plan, zone=zone)
    with open_table(path) as table:
        return plan.mapping, [converter.convert(cells) for _, cells in table.rows]


SALESFORCE_REPORT = [
    [
        "Lead Owner", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone",
        "Mobile", "Lead Source", "Lead Status", "Rating", "Industry", "Employees",
        "Annual Revenue", "State/Province", "Country", "Create Date", "Description",
    ],
    [
        "Pat Rep", "Jürgen", "Müller", "Head of IT", "Acme GmbH", "jm@acme.de", "",
        "+49 171 1234567", "Web", "Open - Not Contacted", "Hot", "Manufacturing", "250",
        "$5,000,000", "Berlin", "Germany", "3/14/2024", "Asked for a demo",
    ],
    [
        "Pat Rep", "Ann", "Smith", "CFO", "Beta Inc", "ann@beta.com", "(617) 555-0123", "",
        "Trade Show", "Closed - Not Converted", "Cold", "Finance", "12", "", "MA",
        "United States", "12/1/2023", "",
    ],
    [
        "Sam Seller", "Bo", "Li", "CEO", "Gamma Ltd", "bo@gamma.io", "+44 20 7946 0958", "",
        "Partner Referral", "Closed - Converted", "Warm", "Software", "1,200", "75000000",
        "London", "UK", "1/31/2024", "",
    ],
]  # fmt: skip

SALESFORCE_API = [
    [
        "Id", "LastName", "FirstName", "Salutation", "Name", "Title", "Company", "Street", "City",
        "State", "PostalCode", "Country", "Phone", "MobilePhone", "Email", "Website",
        "Description", "LeadSource", "Status", "Industry", "Rating", "AnnualRevenue",
        "NumberOfEmployees", "OwnerId", "IsConverted", "CreatedDate", "CreatedById",
        "LastModifiedDate", "IsDeleted",
    ],
    [
        "00Q5g00000A1", "Müller", "Jürgen", "Mr.", "Jürgen Müller", "Head of IT", "Acme GmbH",
        "Hauptstr. 1", "Berlin", "BE", "10115", "DE", "", "+49 171 1234567", "jm@acme.de",
        "acme.de", "", "Web", "Working - Contacted", "Manufacturing", "Hot", "5000000", "250",
        "0055g00000X1", "false", "2024-03-14T10:22:00.000+0000", "0055g00000X9",
        "2024-03-15T08:00:00.000+0000", "false",
    ],
    [
        "00Q5g00000A2", "Smith", "Ann", "Ms.", "Ann Smith", "CFO", "Beta Inc", "", "Boston", "MA",
        "02110", "US", "(617) 555-0123", "", "ann@beta.com", "", "Budget next year", "Webinar",
        "Nurturing", "Finance", "Cold", "", "12", "0055g00000X1", "false",
        "2023-12-01T15:00:00.000Z", "0055g00000X9", "2023-12-02T15:00:00.000Z", "false",
    ],
]  # fmt: skip


def test_a_salesforce_report_export_by_its_mapping(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "report.csv", SALESFORCE_REPORT)
    mapping, rows = run(path, "salesforce")
    assert mapping.columns["Company / Account"] == "company"
    assert mapping.date_order == "mdy"
    assert [row.errors for row in rows] == [[], [], []]
    first = rows[0].fields
    assert first == {
        "owner": "Pat Rep",
        "first_name": "Jürgen",
        "last_name": "Müller",
        "title": "Head of IT",
        "company": "Acme GmbH",
        "email": "jm@acme.de",
        "phone": "+49 171 1234567",  # Phone is empty: Mobile fills in
        "campaign": "Web",
        "stage": "new",
        "industry": "Manufacturing",
        "employees": 250,
        "revenue_band": "1M-10M",
        "region": "Berlin",
        "country": "DE",
        "created_at": datetime(2024, 3, 13, 23, 0, tzinfo=UTC),
        "note": "Asked for a demo",
    }
    assert rows[0].attributes == {"rating": "Hot"}
    assert rows[0].sources["phone"] == "Mobile"
    assert [r.fields["stage"] for r in rows] == ["new", "disqualified", "opportunity"]
    assert [r.fields["country"] for r in rows] == ["DE", "US", "GB"]
    assert rows[2].fields["employees"] == 1200
    assert rows[2].fields["revenue_band"] == "50M-250M"


def test_a_salesforce_api_export_by_its_mapping(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "Lead.csv", SALESFORCE_API)
    mapping, rows = run(path, "salesforce")
    assert mapping.columns["IsDeleted"] is None
    assert mapping.columns["OwnerId"] == "owner"
    assert mapping.columns["Name"] == "full_name"
    assert all(row.errors == [] for row in rows)
    jm = rows[0]
    assert (jm.fields["first_name"], jm.fields["last_name"]) == ("Jürgen", "Müller")
    assert jm.fields["created_at"] == datetime(2024, 3, 14, 10, 22, tzinfo=UTC)
    assert jm.fields["stage"] == "working"
    assert jm.attributes == {
        "salesforce_id": "00Q5g00000A1",
        "salutation": "Mr.",
        "street": "Hauptstr. 1",
        "city": "Berlin",
        "postal_code": "10115",
        "website": "acme.de",
        "rating": "Hot",
    }
    assert rows[1].fields["stage"] == "nurture"
    assert rows[1].attributes["postal_code"] == "02110"  # text, not the number 2110


HUBSPOT = [
    [
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
        "Company Name", "Job Title", "Contact owner", "Lifecycle Stage", "Lead Status",
        "Create Date", "Original Source", "Country/Region", "State/Region", "City", "Industry",
        "Number of Employees", "Annual Revenue", "Last Activity Date", "Marketing contact status",
    ],
    [
        "1001", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
    ],
    [
        "1002", "Ann", "Smith", "ann@beta.com", "+1 617 555 0123", "", "Beta Inc", "CFO",
        "Pat Rep", "Customer", "", "2024-03-14 10:22", "Organic Search", "United States",
        "Massachusetts", "Boston", "Finance", "25-50", "10000000", "2024-03-20 09:00",
        "Marketing contact",
    ],
    [
        "1003", "Jürgen", "Müller", "jm@acme.de", "", "+49 171 1234567", "Acme GmbH",
        "Head of IT", "Sam Seller", "Marketing Qualified Lead", "In Progress",
        "2024-02-01 08:00", "Offline Sources", "Deutschland", "Berlin", "Berlin",
        "Manufacturing", "1000+", "", "", "Non-marketing contact",
    ],
    [
        "1004", "Lea", "Roth", "lea@delta.ch", "", "", "Delta AG", "COO", "Pat Rep", "lead",
        "BAD_TIMING", "2023-11-05 17:45", "Paid Social", "Schweiz", "Zürich", "Zürich",
        "Retail", "5-25", "", "", "Marketing contact",
    ],
]  # fmt: skip


def test_a_hubspot_export_by_its_mapping(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hubspot-crm-exports-all-contacts.csv", HUBSPOT)
    mapping, rows = run(path, "hubspot")
    assert list(c for c, t in mapping.columns.items() if t == "stage") == [
        "Lead Status",
        "Lifecycle Stage",
    ]
    empty, ann, jm, lea = rows
    assert empty.fields == {}  # a lead needs an email or phone: the lead's own check says so
    assert ann.fields["stage"] == "won"  # no lead status: the lifecycle stage decides
    assert jm.fields["stage"] == "working"  # the lead status wins over the lifecycle stage
    assert lea.fields["stage"] == "nurture"
    assert ann.fields["employees"] == 25
    assert jm.fields["employees"] == 1000
    assert ann.fields["created_at"] == datetime(2024, 3, 14, 9, 22, tzinfo=UTC)
    assert [r.fields.get("country") for r in rows] == [None, "US", "DE", "CH"]
    assert ann.fields["revenue_band"] == "10M-50M"
    assert ann.fields["campaign"] == "Organic Search"
    assert ann.attributes["hubspot_id"] == "1002"
    assert ann.attributes["last_activity"] == "2024-03-20T08:00:00Z"
    assert all(row.errors == [] for row in rows)


PIPEDRIVE = [
    [
        "Lead - Title", "Lead - Owner", "Lead - Lead created", "Lead - Source", "Lead - Labels",
        "Lead - Value", "Person - Name", "Person - Email - Work", "Person - Email - Home",
        "Person - Phone - Work", "Person - Phone - Mobile", "Person - Organization",
        "Organization - Name", "Organization - Address - Country", "Lead - Status",
    ],
    [
        "Acme lead", "Pat Rep", datetime(2024, 3, 14, 10, 22), "Web forms", "Hot", 5000,
        "Jürgen Müller", "", "juergen@mail.de", "", "+49 171 1234567", "Acme GmbH", "Acme GmbH",
        "Germany", "Open",
    ],
    [
        "Beta deal", "Sam Seller", datetime(2023, 12, 1, 9, 0), "Import", "Cold", None,
        "Smith, Ann", "ann@beta.com", "", "(617) 555-0123", "", "", "Beta Inc",
        "United States", "Archived",
    ],
]  # fmt: skip


def test_a_pipedrive_xlsx_export_by_its_mapping(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leads.xlsx", {"Leads": PIPEDRIVE})
    mapping, rows = run(path, "pipedrive")
    assert mapping.columns["Lead - Title"] == "attributes.lead_title"
    jm, ann = rows
    assert jm.fields["email"] == "juergen@mail.de"  # work is empty: home fills in
    assert (jm.fields["first_name"], jm.fields["last_name"]) == ("Jürgen", "Müller")
    assert (ann.fields["first_name"], ann.fields["last_name"]) == ("Ann", "Smith")
    assert jm.fields["created_at"] == datetime(2024, 3, 14, 9, 22, tzinfo=UTC)
    assert (jm.fields["stage"], ann.fields["stage"]) == ("new", "disqualified")
    assert ann.fields["company"] == "Beta Inc"
    assert jm.attributes == {"lead_title": "Acme lead", "labels": "Hot", "value": 5000}
    assert all(row.errors == [] for row in rows)


@pytest.mark.parametrize(
    ("rows", "writer"),
    [
        (SALESFORCE_REPORT, "csv"),
        (SALESFORCE_API, "csv"),
        (HUBSPOT, "csv"),
        (PIPEDRIVE, "xlsx"),
    ],
)
def test_auto_maps_every_crm_export_to_the_same_lead_fields(
    tmp_path: Path, rows: list[list[object]], writer: str
) -> None:
    if writer == "csv":
        path = write_csv(tmp_path / "leads.csv", rows)  # type: ignore[arg-type]
    else:
        path = write_xlsx(tmp_path / "leads.xlsx", {"Sheet1": rows})
    crm = {id(SALESFORCE_REPORT): "salesforce", id(SALESFORCE_API): "salesforce"}.get(
        id(rows), "hubspot" if rows is HUBSPOT else "pipedrive"
    )
    _, by_crm = run(path, crm)
    mapping, by_auto = run(path, "auto")
    for known, guessed in zip(by_crm, by_auto, strict=True):
        assert guessed.errors == []
        for name in ("first_name", "last_name", "email", "phone", "company", "country", "stage"):
            assert guessed.fields.get(name) == known.fields.get(name), (name, mapping.columns)
        assert guessed.fields.get("created_at") == known.fields.get("created_at")
        assert guessed.fields.get("owner") == known.fields.get("owner")


def test_the_leadloop_export_maps_back_to_itself(tmp_path: Path) -> None:
    header = [
        "id",
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
        "sales_rep",
        "score",
        "priority",
        "reason_code",
        "Fit",
        "Budget",
    ]
    row = [
        "17", "2024-03-14T09:22:00Z", "disqualified_by_sales", "Ann", "Smith", "CFO",
        "ann@beta.com", "+16175550123", "Beta Inc", "Finance", "12", "10M-50M", "US", "MA",
        "Spring webinar", "webinar", "pat", "sam", "55", "2", "no_budget", "true", "12000",
    ]  # fmt: skip
    handed = [*row[:2], "handed_off", *row[3:]]
    path = write_csv(tmp_path / "export.csv", [header, row, handed])
    mapping, (lost, handed_off) = run(path, "leadloop")
    assert {c for c, t in mapping.columns.items() if t is None} == {
        "id",
        "channel",
        "score",
        "priority",
    }
    assert mapping.columns["Fit"] == "attributes.Fit"
    assert lost.errors == []
    assert lost.fields == {
        "created_at": datetime(2024, 3, 14, 9, 22, tzinfo=UTC),
        "stage": "disqualified_by_sales",
        "first_name": "Ann",
        "last_name": "Smith",
        "title": "CFO",
        "email": "ann@beta.com",
        "phone": "+16175550123",
        "company": "Beta Inc",
        "industry": "Finance",
        "employees": 12,
        "revenue_band": "10M-50M",
        "country": "US",
        "region": "MA",
        "campaign": "Spring webinar",
        "owner": "pat",
        "sales_rep": "sam",
        "reason_code": "no_budget",
    }
    assert lost.attributes == {"Fit": True, "Budget": 12000}
    assert handed_off.fields["stage"] == "opportunity"
