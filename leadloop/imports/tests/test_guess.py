from __future__ import annotations

from pathlib import Path

from leadloop.imports.guess import guess, guess_stages, mapping_for
from leadloop.imports.sampling import sample
from leadloop.imports.tests.files import write_csv, write_xlsx


def guessed(tmp_path: Path, rows: list[list[str]]) -> tuple[dict[str, str | None], dict]:
    found = sample(write_csv(tmp_path / "leads.csv", rows))
    result = guess(found.header, found)
    return result.mapping.columns, result.reasons


def test_german_headers(tmp_path: Path) -> None:
    columns, reasons = guessed(
        tmp_path,
        [
            ["Vorname", "Name", "E-Mail", "Telefon", "Firma", "Position", "Land", "Branche"],
            ["Jürgen", "Müller", "jm@acme.de", "030 123456", "Acme", "CTO", "Deutschland", "IT"],
        ],
    )
    assert columns == {
        "Vorname": "first_name",
        "Name": "last_name",  # beside Vorname, Name is the family name
        "E-Mail": "email",
        "Telefon": "phone",
        "Firma": "company",
        "Position": "title",
        "Land": "country",
        "Branche": "industry",
    }
    assert reasons["Name"] == "'Name' beside a first name column is the last name"


def test_filler_words_misspellings_and_content(tmp_path: Path) -> None:
    columns, reasons = guessed(
        tmp_path,
        [
            [
                "Primary Email",
                "Frist Name",
                "Contact",
                "Reached via",
                "Signed up",
                "Where",
                "Opt-in",
            ],
            ["a@x.io", "Ann", "Ann Smith", "+49 30 1234567", "14.03.2024", "Germany", "yes"],
            ["b@x.io", "Bob", "Bob Roe", "+1 617 555 0123", "15.03.2024", "France", "no"],
            ["c@x.io", "Cy", "Cy Li", "0171 1234567", "16.03.2024", "Spain", "yes"],
        ],
    )
    assert columns == {
        "Primary Email": "email",
        "Frist Name": "first_name",
        "Contact": "full_name",
        "Reached via": "phone",
        "Signed up": "created_at",
        "Where": "country",
        "Opt-in": "attributes.Opt-in",
    }
    assert reasons["Primary Email"] == "the header 'Primary Email' names email"
    assert reasons["Frist Name"] == "the header 'Frist Name' is spelled like first_name"
    assert reasons["Reached via"] == "the values of 'Reached via' are phone numbers"
    assert reasons["Opt-in"] == "'Opt-in' is kept as the attribute 'Opt-in' (boolean)"


def test_the_guess_never_comes_from_one_empty_first_row(tmp_path: Path) -> None:
    rows = [["Contact info", "Who", "Notes field"], ["", "", ""], ["", "", "-"]]
    rows += [[f"p{i}@x.io", f"Person {i}", ""] for i in range(30)]
    path = write_xlsx(tmp_path / "leads.xlsx", {"Leads": rows})
    found = sample(path)
    assert found.values("Contact info", 2) == ["p0@x.io", "p1@x.io"]
    mapping = guess(found.header, found).mapping
    assert mapping.columns["Contact info"] == "email"


def test_one_column_per_single_value_field_the_surest_wins(tmp_path: Path) -> None:
    columns, _ = guessed(
        tmp_path,
        [
            ["Email", "Created", "Last Modified", "Title", "Job Title", "Phone", "Mobile"],
            ["a@x.io", "2024-03-14", "2024-03-15", "CEO", "CEO", "+49 30 1", "+49 171 2"],
        ],
    )
    assert columns["Created"] == "created_at"
    assert columns["Last Modified"] == "attributes.Last Modified"
    assert columns["Title"] == "title"
    assert columns["Job Title"] == "attributes.Job Title"
    assert (columns["Phone"], columns["Mobile"]) == ("phone", "phone")


def test_first_and_last_name_columns_make_a_name_column_redundant(tmp_path: Path) -> None:
    columns, _ = guessed(
        tmp_path,
        [["First Name", "Last Name", "Name", "Email"], ["Ann", "Smith", "Ann Smith", "a@x.io"]],
    )
    assert columns["Name"] is None


def test_a_title_column_of_salutations_is_not_the_job_title(tmp_path: Path) -> None:
    columns, _ = guessed(
        tmp_path,
        [["Title", "Email"], ["Mr.", "a@x.io"], ["Ms", "b@x.io"], ["Dr.", "c@x.io"]],
    )
    assert columns["Title"] == "attributes.salutation"


def test_unmapped_columns_become_typed_attributes_at_most_fifty(tmp_path: Path) -> None:
    header = ["Email", *(f"Extra {i}" for i in range(60)), "Always empty"]
    row = ["a@x.io", *(str(i) for i in range(60)), ""]
    found = sample(write_csv(tmp_path / "leads.csv", [header, row, row]))
    result = guess(found.header, found)
    attributes = [c for c, t in result.mapping.columns.items() if t and t.startswith("attr")]
    assert len(attributes) == 50
    assert result.mapping.columns["Always empty"] is None
    assert result.mapping.kinds["Extra 3"] == "number"
    assert "at most 50 attributes" in result.reasons["Extra 55"]


def test_stage_values_are_guessed_from_any_crm_and_leadloop_names() -> None:
    assert guess_stages(
        [
            "Open - Not Contacted",
            "IN_PROGRESS",
            "Attempted to Contact",
            "customer",
            "Disqualified by sales",
            "Gewonnen",
            "nurture",
            "Meeting booked",
        ]
    ) == {
        "Open - Not Contacted": "new",
        "IN_PROGRESS": "working",
        "Attempted to Contact": "working",
        "customer": "won",
        "Disqualified by sales": "disqualified_by_sales",
        "Gewonnen": "won",
        "nurture": "nurture",
    }


def test_a_builtin_mapping_keeps_its_stage_table_and_adds_what_it_recognises(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [["Email", "Lead Status"], ["a@x.io", "Working - Contacted"], ["b@x.io", "Gewonnen"]],
    )
    found = sample(path)
    mapping = mapping_for("salesforce", found.header, found)
    assert mapping.stages["Closed - Converted"] == "opportunity"
    assert mapping.stages["Junk"] is None
    assert mapping.stages["Gewonnen"] == "won"


def test_the_date_order_is_guessed_from_the_created_column(tmp_path: Path) -> None:
    def order(dates: list[str]) -> str | None:
        rows = [["Email", "Created"], *([f"p{i}@x.io", d] for i, d in enumerate(dates))]
        found = sample(write_csv(tmp_path / "leads.csv", rows))
        return mapping_for("auto", found.header, found).date_order

    assert order(["03/04/2024", "25/12/2023"]) == "dmy"
    assert order(["03/04/2024", "12/25/2023"]) == "mdy"
    assert order(["03/04/2024"]) == "mdy"  # undecided: the US habit for '/'
    assert order(["03.04.2024"]) == "dmy"
    assert order(["2024-03-04"]) == "ymd"


def test_date_attributes_share_the_date_order(tmp_path: Path) -> None:
    rows = [
        ["Email", "Created", "Met on"],
        ["a@x.io", "03/04/2024", "01/02/2024"],
        ["b@x.io", "03/05/2024", "25/12/2023"],
    ]
    found = sample(write_csv(tmp_path / "leads.csv", rows))
    mapping = mapping_for("auto", found.header, found)
    assert mapping.kinds["Met on"] == "date"
    assert mapping.date_order == "dmy"


def test_a_header_s_field_must_fit_the_column_s_values(tmp_path: Path) -> None:
    """A bank-marketing file: 'pdays' is spelled like 'país' and 'Country' holds codes, but
    their values are numbers; mapped to country, every row would have been refused."""
    columns, reasons = guessed(
        tmp_path,
        [
            ["Email", "pdays", "Country", "Employees", "Company", "Land", "campaign"],
            ["a@x.example", "-1", "17", "small", "1", "Germany", "1"],
            ["b@x.example", "999", "4", "large", "2", "n/a", "3"],
            ["c@x.example", "12", "17", "51-200", "3", "unknown", "1"],
        ],
    )
    assert columns["pdays"] == "attributes.pdays"
    assert reasons["pdays"] == (
        "the header 'pdays' is spelled like country, but its values are not countries: "
        "'pdays' is kept as the attribute 'pdays' (number)"
    )
    assert columns["Country"] == "attributes.Country"
    assert columns["Employees"] == "attributes.Employees"  # sizes in words, not head counts
    assert columns["Company"] == "attributes.Company"  # numbers name no company
    assert columns["campaign"] == "attributes.campaign"  # ... and no campaign
    # "n/a" and "unknown" say nothing either way: the one country decides.
    assert columns["Land"] == "country"


def test_a_phone_with_an_extension_is_still_a_phone(tmp_path: Path) -> None:
    columns, _ = guessed(
        tmp_path,
        [
            ["Email", "Phone"],
            ["Ann <ann@x.example>", "+1 555 0100 ext. 12"],
            ["bo@x.example", "(555) 0101 x7"],
        ],
    )
    assert columns == {"Email": "email", "Phone": "phone"}
