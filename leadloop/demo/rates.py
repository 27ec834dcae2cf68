"""What the demo's stories draw from: rates, mixes and texts, tuned to the seeds.

Data only. The moves themselves (what a hand-off or a recycle does to a
lead) are not here: the simulation makes them through the actions layer's
effect functions (`lifecycle.effects`), as the app does.
"""

from __future__ import annotations

from leadloop.campaigns.choices import Channel
from leadloop.demo.fake import Weighted

HOUR = 3600
# A quarter of meetings are missed. In the last days before `now` the demo
# misses more of them, so that some no-show cadences are still running when
# the demo opens and the sales reps' task lists have steps due: with a few
# handoffs a week, a quarter of them would often leave those pages empty.
NO_SHOW_RATE = 0.25
RECENT_NO_SHOW_RATE = 0.6
RECENT = 10 * 24 * HOUR
# Chance an in-target prospect who answered qualifies, at a score of 55; tuned so
# that about 3-4 % of all leads are handed off (100-500 dials per qualified lead).
QUALIFY_BASE = 0.043
# Per attempt, for a prospect who will be reached at all.
CALL_CONNECTS, EMAIL_REPLIES = 0.18, 0.07


# When an inside rep first tries a new lead, as a share of its first-contact window.
FIRST_CONTACT_LAG = Weighted(
    [((0.03, 0.5), 55.0), ((0.5, 1.0), 25.0), ((1.0, 2.0), 12.0), ((2.0, 5.0), 8.0)]
)
DIAL_MISSES = Weighted(
    [("no_answer", 40.0), ("voicemail", 42.0), ("gatekeeper", 15.0), ("wrong_number", 3.0)]
)
INSIDE_DQ = Weighted(
    [
        ("no_need", 26.0),
        ("timing", 24.0),
        ("no_budget", 20.0),
        ("not_decision_maker", 15.0),
        ("competitor", 10.0),
        ("existing_customer", 5.0),
    ]
)
SALES_DQ = Weighted(
    [
        ("no_budget", 25.0),
        ("no_need", 25.0),
        ("timing", 20.0),
        ("not_decision_maker", 15.0),
        ("competitor", 15.0),
    ]
)
REJECTS = Weighted(
    [
        ("not_qualified", 30.0),
        ("not_decision_maker", 20.0),
        ("out_of_target", 10.0),
        ("existing_opportunity", 8.0),
        ("wrong_territory", 10.0),
        ("poor_write_up", 15.0),
        ("duplicate", 7.0),
    ]
)
LOSSES = Weighted(
    [
        ("price", 25.0),
        ("competitor", 25.0),
        ("no_decision", 20.0),
        ("no_budget", 10.0),
        ("product_fit", 10.0),
        ("timing", 10.0),
    ]
)
AFTER_MEETING = Weighted(
    [("opportunity", 42.0), ("nurture", 18.0), ("disqualify", 20.0), ("lose", 15.0), ("win", 5.0)]
)
# What an inside rep records after sales rejected her lead, by the rejection reason.
REJECT_TO_DQ = {
    "not_qualified": ("no_budget", "no_need", "timing"),
    "not_decision_maker": ("not_decision_maker",),
    "out_of_target": ("out_of_target",),
    "existing_opportunity": ("existing_customer",),
    "duplicate": ("duplicate",),
}

CHANNEL_POINTS: dict[str, int] = {
    Channel.INBOUND_CALL: 22,
    Channel.WEB_RFI: 18,
    Channel.REFERRAL: 20,
    Channel.WEBINAR: 8,
    Channel.TRADE_SHOW: 10,
    Channel.EVENT: 10,
    Channel.MAILING: 4,
    Channel.PURCHASED_LIST: 0,
    Channel.OTHER: 6,
}
BANT = {
    "budget": (
        "Budget approved for this fiscal year",
        "50k set aside in the H2 plan",
        "CFO signed off a pilot budget",
        "Replacing a tool; its budget moves over",
        "Needs a business case, money is there",
        "Part of the sales-ops budget",
    ),
    "authority": (
        "Decides together with the CFO",
        "Head of Sales, has the final say",
        "Champion; the VP signs",
        "Managing director decides alone",
        "Leads a buying committee of three",
    ),
    "need": (
        "Leads get lost between marketing and sales",
        "No follow-up SLA; web leads go stale",
        "Inside reps never hear what happened to their leads",
        "Lead routing is done in spreadsheets",
        "Cannot tell which campaigns produce revenue",
    ),
    "timeline": (
        "This quarter",
        "Within three months",
        "Before the new fiscal year",
        "Current contract ends in four months",
        "Within six months",
    ),
}
INSIDE_NOTES = (
    "Spoke briefly, asked for a call back next week",
    "Interested; wants pricing before a meeting",
    "Evaluating two vendors right now",
    "Gatekeeper gave me the direct line",
    "Asked for a one-pager by email",
    "Works with the sales-ops lead on this",
)
SALES_NOTES = (
    "Sent proposal",
    "Pricing discussed, waiting for procurement",
    "Demo for the wider team scheduled",
    "Security questionnaire returned",
    "Champion on holiday, follow up in two weeks",
)
UTM = Weighted(
    [("google", 45.0), ("linkedin", 20.0), ("direct", 18.0), ("newsletter", 10.0), ("bing", 7.0)]
)
UTM_REACH = {"linkedin": 0.88, "direct": 1.12, "newsletter": 1.05}
