"""Which channel a lead source named in a CRM export belongs to ("Trade Show 2024" -> trade show).

CRMs keep the source as free text (Salesforce's Lead Source, HubSpot's
Original Source); an import that creates a campaign for each source gives
it the channel its name says, so the channel's SLA applies to its leads.
"""

from __future__ import annotations

import re

from leadloop.campaigns.choices import Channel

# First match wins: "webinar" before "web", "purchased list" before "list".
_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), channel)
    for p, channel in [
        (r"webinar|web\s*seminar|online\s*event", Channel.WEBINAR),
        (r"trade\s*-?\s*show|tradeshow|expo|\bfair\b|messe|conference|booth", Channel.TRADE_SHOW),
        (r"referr|partner|word\s+of\s+mouth|recommend|empfehlung", Channel.REFERRAL),
        (r"purchased|bought|\blist\b|data\s*vendor|zoominfo|apollo", Channel.PURCHASED_LIST),
        (r"inbound\s*call|phone\s*inquiry|\bcall\s*in\b|telephone|hotline", Channel.INBOUND_CALL),
        (r"\bevent|seminar|meetup|roadshow|workshop", Channel.EVENT),
        (r"mailing|direct\s*mail|e-?mail|newsletter|campaign\s*mail", Channel.MAILING),
        (
            r"\bweb|website|online|organic|search|seo|\bppc\b|\bads?\b|paid|social|form|"
            r"contact\s*us|rfi|request|inbound|direct\s*traffic",
            Channel.WEB_RFI,
        ),
    ]
]


def channel_for_source(name: str, *, default: str = Channel.OTHER) -> str:
    """The channel a source's name says, or `default` when it says none."""
    if name in Channel.values:
        return name
    for pattern, channel in _WORDS:
        if pattern.search(name):
            return str(channel)
    return default
