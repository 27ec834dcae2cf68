from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from leadloop.leads.choices import Action, EventKind
from leadloop.webhooks.rules import (
    MAX_ATTEMPTS,
    SCHEDULE,
    address_refusal,
    clean_event_types,
    event_type,
    retry_after,
    retry_delay,
    url_refusal,
    wants,
)

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def test_lead_events_map_to_their_webhook_types():
    assert event_type(EventKind.CREATED) == "lead.created"
    assert event_type(EventKind.ASSIGNED) == "lead.assigned"
    assert event_type(EventKind.TRANSITION, Action.START_WORK) == "lead.stage_changed"
    assert event_type(EventKind.TRANSITION, Action.HAND_OFF) == "lead.handed_off"
    assert event_type(EventKind.TRANSITION, Action.ACCEPT) == "lead.feedback_recorded"
    assert event_type(EventKind.FEEDBACK) == "lead.feedback_recorded"
    assert event_type(EventKind.SLA_BREACHED) == "sla.breached"
    # An import's rows send nothing of their own: one import.finished does.
    assert event_type(EventKind.IMPORTED) is None


def test_the_retry_schedule_is_the_specs_with_jitter_and_ends():
    rng = random.Random(1)
    assert retry_delay(1, rng=rng) is not None
    for attempts in range(1, MAX_ATTEMPTS):
        delay = retry_delay(attempts, rng=rng)
        assert delay is not None
        base = SCHEDULE[attempts]
        assert base <= delay <= base * 1.1
    assert retry_delay(MAX_ATTEMPTS) is None
    assert SCHEDULE[1] == timedelta(seconds=5)
    assert SCHEDULE[-1] == timedelta(hours=24)


def test_retry_after_in_seconds_or_as_a_date_capped_at_a_day():
    assert retry_after("120", now=NOW) == timedelta(seconds=120)
    assert retry_after("Tue, 17 Nov 2026 09:10:00 GMT", now=NOW) == timedelta(minutes=10)
    assert retry_after("999999", now=NOW) == timedelta(hours=24)
    assert retry_after("soon", now=NOW) is None
    assert retry_after(None, now=NOW) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "224.0.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_private_and_special_addresses_are_refused(address):
    assert address_refusal(address) is not None


def test_public_addresses_are_allowed():
    assert address_refusal("93.184.216.34") is None
    assert address_refusal("2606:4700::1111") is None


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://", "http://u:p@example.com/"]
)
def test_only_plain_http_and_https_urls(url):
    assert url_refusal(url) is not None


def test_event_types_are_checked():
    assert clean_event_types(["*", "lead.created"]) == ["*"]
    assert clean_event_types(["sla.breached", "lead.created"]) == ["lead.created", "sla.breached"]
    with pytest.raises(ValidationError) as refused:
        clean_event_types(["lead.nope"])
    assert "events" in refused.value.message_dict
    with pytest.raises(ValidationError):
        clean_event_types([])


def test_wants_matches_whole_types_only():
    assert wants(" lead.created sla.breached ", "lead.created")
    assert not wants(" lead.created_x ", "lead.created")
    assert wants("*", "import.finished")
