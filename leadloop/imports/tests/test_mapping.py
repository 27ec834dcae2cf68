from __future__ import annotations

import json

import pytest

from leadloop.imports.fields import header_key, value_key
from leadloop.imports.mapping import Mapping, MappingError, dump_mapping, load_mapping


def test_a_mapping_file_loads_and_dumps_back_the_same() -> None:
    text = json.dumps(
        {
            "columns": {
                "E-Mail": "email",
                "Vorname": "first_name",
                "Name": "full_name",
                "Bonität": "attributes.credit rating",
                "Intern": None,
            },
            "stages": {"Offen": "new", "Gewonnen": "won", "Spam": None, "Test": "skip"},
            "owners": {"P. Rep": "pat@example.com"},
            "date_order": "dmy",
            "kinds": {"credit rating": "category"},
        }
    )
    mapping = load_mapping(text)
    assert mapping.columns["Intern"] is None
    assert mapping.stages == {"Offen": "new", "Gewonnen": "won", "Spam": None, "Test": None}
    assert mapping.owners == {"P. Rep": "pat@example.com"}
    assert mapping.date_order == "dmy"
    assert load_mapping(dump_mapping(mapping)) == mapping
    assert load_mapping(json.dumps(dump_mapping(mapping)).encode()) == mapping


def test_only_columns_are_required() -> None:
    assert load_mapping({"columns": {"Email": "email"}}) == Mapping(columns={"Email": "email"})


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(
            {
                "colums": {},
                "columns": {
                    "Mail": "e-mail",
                    "Stufe": "stage",
                    "Long": "attributes." + "x" * 65,
                    "Empty": "attributes.",
                    "Num": 5,
                },
                "stages": {"Offen": "open", "Übergeben": "handed_off"},
                "owners": {"P. Rep": ""},
                "date_order": "ydm",
                "kinds": {"x": "money"},
            }
        )
    problems = caught.value.problems
    text = "\n".join(problems)
    assert len(problems) == 10, text
    assert "Unknown key \"colums\" (did you mean 'columns'?)" in text
    assert "columns: 'Mail' -> 'e-mail' is not a leadloop field (did you mean 'email'?)" in text
    assert "first_name, last_name, email" in text
    assert "attributes.<name>" in text
    assert "'Long' -> 'attributes.xxx" in text
    assert "needs an attribute name of 1 to 64 characters" in text
    assert "'Num' -> 5 is not a leadloop field name" in text
    assert "'Offen' -> 'open' is not a stage an import can create" in text
    assert "'Übergeben' -> 'handed_off' is not a stage an import can create" in text
    assert "new, working, unreachable, disqualified, nurture" in text
    assert "owners: 'P. Rep' must name a user" in text
    assert '"date_order" must be one of dmy, mdy, ymd' in text
    assert "kinds: 'x' must be one of number, boolean, date, category, text" in text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("{}", 'no "columns"'),
        ('{"columns": []}', '"columns" must be an object'),
    ],
)
def test_malformed_mappings(source: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        load_mapping(source)


@pytest.mark.parametrize(
    "header", ["First Name", "FirstName", "first_name", "FIRST-NAME", "first name"]
)
def test_headers_compare_without_case_space_or_punctuation(header: str) -> None:
    assert header_key(header) == "firstname"


def test_values_compare_without_case_underscores_or_extra_spaces() -> None:
    assert value_key("IN_PROGRESS") == value_key(" In  Progress ") == "in progress"
    assert value_key("Open - Not Contacted") == "open - not contacted"
