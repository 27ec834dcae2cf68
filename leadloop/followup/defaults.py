"""The default no-show cadence of seed 004, written by a data migration.

Day 1 voicemail and email, day 3 voicemail and email, day 5 an invitation
proposing a new time within the next 5 business days; an unanswered lead
goes back to the inside rep who set the meeting on business day 7.
"""

from __future__ import annotations

NO_SHOW_NAME = "No-show follow-up"
# The name the first release gave it; migration 0004 renames a template still called so.
NO_SHOW_OLD_NAME = "No-show follow-up (seed 004)"
NO_SHOW_RECYCLE_DAY = 7
NO_SHOW_INVITE_WINDOW = 5

NO_SHOW_STEPS: list[tuple[int, str, str]] = [
    (
        1,
        "voicemail",
        "Hi {first_name}, this is {rep_name}. We had a call booked for {meeting} and I'm sorry "
        "we missed each other. I'll send you a short email; just reply with a time that suits "
        "you.",
    ),
    (
        1,
        "email",
        "Subject: Sorry we missed each other\n\n"
        "Hi {first_name},\n\n"
        "We had a call booked for {meeting}; I'm sure something came up. Would another time "
        "this week or next suit you? Just reply with one that works.\n\n"
        "Best regards,\n{rep_name}",
    ),
    (
        3,
        "voicemail",
        "Hi {first_name}, {rep_name} again, following up on the call we missed. I'd still like "
        "to hear how {company} handles this today. Call me back or reply to my email.",
    ),
    (
        3,
        "email",
        "Subject: Still keen to talk\n\n"
        "Hi {first_name},\n\n"
        "Following up on my voicemail: I'd still like to find 30 minutes to go through what "
        "you told my colleague. Reply with a time that works for you.\n\n"
        "Best regards,\n{rep_name}",
    ),
    (
        5,
        "invitation",
        "Subject: A new time for our call: {proposed}\n\n"
        "Hi {first_name},\n\n"
        "I've attached an invitation for {proposed}. If it doesn't suit you, reply with a "
        "better time and I'll move it.\n\n"
        "Best regards,\n{rep_name}",
    ),
]
