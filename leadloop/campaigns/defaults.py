"""The seeds' default source policies, per channel.

Seed 003: a web request for information is contacted within 12 hours, a
webinar lead within 5 days, and no lead ages beyond a week. Seed 001: a
lead is unreachable after about five dials and three personal emails.
"""

from __future__ import annotations

from typing import TypedDict

from leadloop.campaigns.choices import Channel, SlaUnit


class PolicyDefaults(TypedDict):
    priority: int
    first_contact_amount: int
    first_contact_unit: str
    max_open_days: int
    max_dials: int
    max_emails: int
    accept_days: int
    outcome_days: int
    feedback_days: int
    update_days: int


def _policy(priority: int, amount: int, unit: str) -> PolicyDefaults:
    return {
        "priority": priority,
        "first_contact_amount": amount,
        "first_contact_unit": unit,
        "max_open_days": 7,
        "max_dials": 5,
        "max_emails": 3,
        # Seed 004: sales answers a handoff within a business day, records the
        # meeting within two, and never lets a lead go a month without news.
        "accept_days": 1,
        "outcome_days": 2,
        "feedback_days": 10,
        "update_days": 30,
    }


HOURS, DAYS = SlaUnit.BUSINESS_HOURS.value, SlaUnit.BUSINESS_DAYS.value

# Priority 1 is the most urgent.
SOURCE_POLICY_DEFAULTS: dict[str, PolicyDefaults] = {
    Channel.WEB_RFI: _policy(1, 12, HOURS),
    Channel.INBOUND_CALL: _policy(1, 4, HOURS),
    Channel.REFERRAL: _policy(2, 1, DAYS),
    Channel.TRADE_SHOW: _policy(2, 3, DAYS),
    Channel.EVENT: _policy(3, 3, DAYS),
    Channel.WEBINAR: _policy(3, 5, DAYS),
    Channel.MAILING: _policy(4, 5, DAYS),
    Channel.PURCHASED_LIST: _policy(5, 5, DAYS),
    Channel.OTHER: _policy(4, 5, DAYS),
}
