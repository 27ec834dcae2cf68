"""The form rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from leadloop.webforms import rules
from leadloop.webforms.stamps import BadStamp, make_stamp, read_stamp


def test_fields_from_names_and_objects_get_labels() -> None:
    specs = rules.parse_fields(["email", {"name": "attributes.team_size", "required": True}])
    assert [(s.name, s.label, s.required) for s in specs] == [
        ("email", "Email", False),
        ("attributes.team_size", "Team Size", True),
    ]
    assert specs[1].attribute == "team_size" and specs[0].attribute is None
    assert specs[0].input_type == "email"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ([], "at least one"),
        ("email", "at least one"),
        (["first_name"], "email or a phone"),
        (["email", "password"], "neither a lead field"),
        (["email", "attributes.9lives"], "a letter then"),
        (["email", "attributes.referrer"], "written by the form"),
        (["email", {"name": "phone", "colour": "red"}], "unknown key 'colour'"),
        (["email"] * 2, "listed twice"),
        ([f"attributes.a{i}" for i in range(31)], "at most 30"),
    ],
)
def test_bad_fields_are_refused_saying_why(raw: object, says: str) -> None:
    with pytest.raises(ValidationError) as err:
        rules.parse_fields(raw)
    assert says in str(err.value.message_dict["fields"])


def test_origins_are_normalized_and_checked() -> None:
    assert rules.normalize_origin("HTTPS://Example.COM:443/") == "https://example.com"
    assert rules.normalize_origin("http://127.0.0.1:8123") == "http://127.0.0.1:8123"
    for bad in ("example.com", "ftp://x.example", "https://x.example/path", "https://u:p@x.io"):
        with pytest.raises(ValueError, match="not an origin"):
            rules.normalize_origin(bad)
    assert rules.parse_origins("https://a.example, https://a.example\nhttps://b.example") == [
        "https://a.example",
        "https://b.example",
    ]
    own = "https://leadloop.example"
    assert rules.origin_allowed("https://a.example", ["https://a.example"], own)
    assert rules.origin_allowed(own, [], own)
    assert not rules.origin_allowed("https://a.example.evil.io", ["https://a.example"], own)
    assert not rules.origin_allowed("null", ["https://a.example"], own)


def test_the_redirect_must_be_on_an_allowed_origin() -> None:
    origins = ["https://a.example"]
    assert rules.check_redirect("https://a.example/thanks?x=1", origins)
    assert rules.check_redirect("", origins) == ""
    for bad in ("https://b.example/", "//a.example/x", "javascript:alert(1)", "/thanks"):
        with pytest.raises(ValidationError):
            rules.check_redirect(bad, origins)


def test_collect_takes_only_the_forms_fields_and_names_the_missing_ones() -> None:
    specs = rules.parse_fields(
        [{"name": "email", "required": True}, "company", "attributes.budget"]
    )
    lead, errors = rules.collect(
        specs, {"company": " Acme ", "attributes.budget": "10k", "title": "CEO"}
    )
    assert lead == {"company": "Acme", "attributes": {"budget": "10k"}}
    assert errors == {"email": "Email is required"}
    _, errors = rules.collect(specs, {"email": "a@b.example", "company": "x" * 1001})
    assert "longer than" in errors["company"]


def test_tracking_takes_utm_from_the_page_then_hidden_fields() -> None:
    utm, referrer = rules.tracking(
        {"utm_source": "ads"}, {"utm_source": "ignored", "utm_medium": "cpc"}, " https://r/ "
    )
    assert utm == {"utm_source": "ads", "utm_medium": "cpc"}
    assert referrer == "https://r/"


def test_tracked_attributes_record_the_consent_wording_and_time() -> None:
    at = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    out = rules.tracked_attributes(
        form_name="F", utm={}, referrer="", consent_text="Yes, call me.", consented_at=at
    )
    assert out == {
        "web_form": "F",
        "consent": "Yes, call me.",
        "consented_at": "2026-11-17T09:00:00Z",
    }
    assert "consent" not in rules.tracked_attributes(
        form_name="F", utm={}, referrer="", consent_text="Yes", consented_at=None
    )


def test_fill_time_and_conversion() -> None:
    assert not rules.fill_time_verdict(rendered_at=100.0, now=100.2, min_seconds=3)
    assert rules.fill_time_verdict(rendered_at=100.0, now=103.0, min_seconds=3)
    assert rules.conversion(1, 0) is None
    assert rules.conversion(1, 4) == 0.25


def test_text_no_database_can_store_is_named() -> None:
    assert rules.text_problem("a\x00b")
    assert rules.text_problem("\ud800")
    assert rules.text_problem("Grüße") == ""


def test_stamps_name_their_form_and_cannot_be_forged() -> None:
    stamp = make_stamp("key-one", now=1000.5)
    assert read_stamp(stamp, "key-one", max_age=60) == 1000.5
    with pytest.raises(BadStamp):
        read_stamp(stamp, "key-two", max_age=60)
    with pytest.raises(BadStamp):
        read_stamp(stamp[:-2] + "xx", "key-one", max_age=60)
    with pytest.raises(BadStamp):
        read_stamp("", "key-one", max_age=60)
