"""SLA due times, as plain functions of a policy, a calendar and a start time."""

from __future__ import annotations

from datetime import datetime

from leadloop.campaigns.choices import SlaUnit
from leadloop.campaigns.models import SourcePolicy
from leadloop.lib.businesscal import Calendar, add_business_days, add_business_hours


def first_contact_due(policy: SourcePolicy, cal: Calendar, start: datetime) -> datetime:
    """When a lead arriving at `start` must first be contacted (seed 003)."""
    if policy.first_contact_unit == SlaUnit.BUSINESS_HOURS:
        return add_business_hours(cal, start, policy.first_contact_amount)
    return add_business_days(cal, start, policy.first_contact_amount)


def conclude_due(policy: SourcePolicy, cal: Calendar, start: datetime) -> datetime:
    """When a lead must be handed off, disqualified or unreachable: no lead ages past a week."""
    return add_business_days(cal, start, policy.max_open_days)
