"""A web form's submission: the API's intake, plus the record of the form and the consent.

One transaction: the lead (through `intake.create_lead`, so validation,
identity matching, the returning-prospect rule, assignment and the SLA
clocks are the API's, the clock starting at the submission's time), the
submission's row with its consent wording and time, and the form's
counters. If the intake refuses the data nothing of it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from leadloop.lib.times import utc
from leadloop.lifecycle.intake import IntakeResult, create_lead
from leadloop.webforms import rules
from leadloop.webforms.models import Form
from leadloop.webforms.services import record_submission


def submit_form(
    *,
    form: Form,
    data: Mapping[str, Any],
    utm: Mapping[str, str],
    referrer: str,
    consented: bool,
    now: datetime,
) -> IntakeResult:
    """Take in `data` (the lead's fields and `attributes`, as `rules.collect` made them)."""
    now = utc(now, "now")
    consented_at = now if consented and form.consent_text else None
    attributes = dict(data.get("attributes") or {}) | rules.tracked_attributes(
        form_name=form.name,
        utm=utm,
        referrer=referrer,
        consent_text=form.consent_text,
        consented_at=consented_at,
    )
    with transaction.atomic():
        result = create_lead(
            data={**data, "attributes": attributes}, campaign=form.campaign, actor=None, now=now
        )
        record_submission(
            form=form,
            lead=result.lead,
            created=result.created,
            now=now,
            consented_at=consented_at,
            utm=utm,
            referrer=referrer,
        )
    return result
