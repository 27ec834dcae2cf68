"""BANT, the default shared qualification definition (seeds 002, 004)."""

from __future__ import annotations

BANT_CRITERIA: list[dict[str, object]] = [
    {
        "key": "budget",
        "label": "Budget",
        "required": True,
        "help": "Is money set aside, or can the prospect get it?",
    },
    {
        "key": "authority",
        "label": "Authority",
        "required": True,
        "help": "Is this the decision maker, or who is?",
    },
    {
        "key": "need",
        "label": "Need",
        "required": True,
        "help": "What pain does our product solve for them?",
    },
    {
        "key": "timeline",
        "label": "Timeline",
        "required": True,
        "help": "When do they intend to buy?",
    },
]
