from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from leadloop.imports.converter import Converter
from leadloop.imports.mapping import Mapping, load_mapping
from leadloop.imports.plan import PlanError, resolve

HEADER = [
    "E-Mail",
    "Name",
    "Firma",
    "Mitarbeiter",
    "Land",
    "Status",
    "Betreuer",
    "Erstellt",
    "Score",
]


def test_column_names_match_without_case_or_punctuation() -> None:
    plan = resolve(Mapping(columns={"e-mail": "email", "FIRMA": "company"}), HEADER)
    assert plan.fields == {"email": (0,), "company": (2,)}
    assert plan.ignored == [c for c in HEADER if c not in ("E-Mail", "Firma")]


def test_every_problem_with_the_mapping_is_named_before_anything_is_written() -> None:
    mapping = load_mapping(
        {
            "columns": {"Emial": "email", "Status": "stage", "Firma": "company"},
            "stages": {"Offen": "new", "Verloren": "nurture"},
        }
    )
    with pytest.raises(PlanError) as caught:
        resolve(mapping, HEADER, stage_values=["Offen", "offen ", "In Arbeit", "Spam", ""])
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(
        "The mapping names the column 'Emial', which the file does not have. "
        "Did you mean 'E-Mail'? The file's columns: 'E-Mail', 'Name', "
    )
    # Whether the file is a history (which may go without email) waits for these.
    assert problems[1] == (
        "These stage values in the file have no target: 'In Arbeit', 'Spam'. Give each a "
        'target in "stages": one of new, working, unreachable, disqualified, nurture, '
        "opportunity, won, lost, disqualified_by_sales, or null to skip the rows that have it."
    )
    mapping.stages.update({"In Arbeit": "working", "Spam": None})
    with pytest.raises(PlanError) as caught:
        resolve(mapping, HEADER, stage_values=["Offen", "offen ", "In Arbeit", "Spam", ""])
    assert caught.value.problems[1].startswith("No column is mapped to email or phone")


def test_too_many_attributes_are_refused() -> None:
    header = ["Email", *(f"c{i}" for i in range(51))]
    columns = {"Email": "email", **{f"c{i}": f"attributes.c{i}" for i in range(51)}}
    with pytest.raises(PlanError, match="makes 51 attributes; a lead holds at most 50"):
        resolve(Mapping(columns=columns), header)


def converter(**options: object) -> Converter:
    mapping = Mapping(
        columns={
            "E-Mail": "email",
            "Name": "full_name",
            "Firma": "company",
            "Mitarbeiter": "employees",
            "Land": "country",
            "Status": "stage",
            "Betreuer": "owner",
            "Erstellt": "created_at",
            "Score": "attributes.score",
        },
        stages={"Offen": "new", "Gewonnen": "won", "Spam": None},
        owners={"P. Rep": "pat"},
        date_order="dmy",
        kinds={"score": "number"},
    )
    return Converter(resolve(mapping, HEADER), zone=ZoneInfo("Europe/Berlin"), **options)  # type: ignore[arg-type]


def test_a_row_becomes_typed_fields_and_attributes() -> None:
    row = converter().convert(
        [
            "jm@acme.de",
            "Müller, Jürgen",
            "Acme GmbH",
            "1.200",
            "Deutschland",
            "gewonnen",
            "p. rep",
            "14.03.2024 10:22",
            "7,5",
        ]
    )
    assert row.errors == []
    assert row.skip is None
    assert row.fields == {
        "email": "jm@acme.de",
        "company": "Acme GmbH",
        "employees": 1200,
        "country": "DE",
        "stage": "won",
        "owner": "pat",
        "created_at": datetime(2024, 3, 14, 9, 22, tzinfo=UTC),
        "first_name": "Jürgen",
        "last_name": "Müller",
    }
    assert row.attributes == {"score": 7.5}


def test_bad_cells_are_reported_by_column_and_the_rest_still_converts() -> None:
    row = converter().convert(
        ["a@x.io", "", "Acme", "viele", "Atlantis", "In Arbeit", "Sam", "31.02.2024", "hoch"]
    )
    assert row.fields == {"email": "a@x.io", "company": "Acme", "owner": "Sam"}
    assert row.errors == [
        ("Mitarbeiter", "'viele' is not a number"),
        (
            "Land",
            "'Atlantis' is not a country we know; give an ISO code (DE, US) or a name "
            "(Germany, Deutschland)",
        ),
        ("Status", "the stage value 'In Arbeit' has no target"),
        ("Erstellt", "'31.02.2024' is not a valid date (day.month.year, e.g. 14.03.2024)"),
        ("Score", "'hoch' is not a number"),
    ]


def test_cells_that_say_no_value_are_empty_not_errors() -> None:
    row = converter().convert(["a@x.io", "", "Acme", "n/a", "unknown", "Offen", "", "-", "N/A"])
    assert row.errors == []
    assert row.fields == {"email": "a@x.io", "company": "Acme", "stage": "new"}
    assert row.attributes == {}


def test_a_stage_mapped_to_skip_marks_the_row() -> None:
    row = converter().convert(["a@x.io", "", "", "", "", "Spam", "", "", ""])
    assert row.skip == "its stage 'Spam' is mapped to skip"
    assert "stage" not in row.fields


def test_the_date_order_can_be_overridden() -> None:
    row = converter(date_order="mdy").convert(["a@x.io", "", "", "", "", "", "", "3/14/2024", ""])
    assert row.fields["created_at"] == datetime(2024, 3, 13, 23, 0, tzinfo=UTC)


def test_several_columns_for_one_field_first_non_empty_wins_and_says_which() -> None:
    header = ["Phone", "Mobile", "Email"]
    plan = resolve(Mapping(columns={"Phone": "phone", "Mobile": "phone", "Email": "email"}), header)
    convert = Converter(plan)
    row = convert.convert(["", "+49 171 1", "a@x.io"])
    assert row.fields["phone"] == "+49 171 1"
    assert convert.column_for("phone", row) == "Mobile"
    assert convert.column_for("email", row) == "Email"


def test_attribute_limits_are_row_errors_not_crashes() -> None:
    header = ["Email", *(f"Long {i}" for i in range(20))]
    plan = resolve(
        Mapping(
            columns={"Email": "email", **{f"Long {i}": f"attributes.long {i}" for i in range(20)}}
        ),
        header,
    )
    convert = Converter(plan)
    too_long = convert.convert(["a@x.io", "x" * 1001, *[""] * 19])
    assert too_long.errors == [
        ("Long 0", "is 1001 characters long; an attribute holds at most 1000")
    ]
    assert too_long.attributes == {}
    too_big = convert.convert(["a@x.io", *["ü" * 1000] * 20])
    assert too_big.attributes == {}
    assert too_big.errors[0][0] == "attributes"
    assert "a lead holds at most 16384" in too_big.errors[0][1]
    nul = convert.convert(["a@x.io", "a\x00b", *[""] * 19])
    assert nul.errors == [("Long 0", "must not contain NUL characters")]


def test_revenue_numbers_become_bands_and_text_bands_pass() -> None:
    plan = resolve(
        Mapping(columns={"Email": "email", "Revenue": "revenue_band"}), ["Email", "Revenue"]
    )
    convert = Converter(plan)
    assert convert.convert(["a@x.io", "$12,500,000"]).fields["revenue_band"] == "10M-50M"
    assert convert.convert(["a@x.io", "10M-50M"]).fields["revenue_band"] == "10M-50M"


def test_a_history_is_told_by_the_stages_the_file_s_values_map_to() -> None:
    header = ["Record", "Status"]
    mapping = load_mapping(
        {
            "columns": {"Record": "attributes.record", "Status": "stage"},
            "stages": {"Open": "new", "Won": "won"},
        }
    )
    # A CRM's stage table names closed stages; a file of open leads only is no history.
    with pytest.raises(PlanError, match="an open lead needs one of them"):
        resolve(mapping, header, stage_values=["Open"])
    assert resolve(mapping, header, stage_values=["Open", "Won"]).fields["stage"] == (1,)
