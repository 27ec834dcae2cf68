"""The attempt policy (seed 001): when has a lead been tried enough?"""

from __future__ import annotations


def attempts_exhausted(
    *, dials: int, emails: int, connects: int, max_dials: int, max_emails: int
) -> bool:
    """True when every allowed dial and email was made and nobody was ever reached."""
    return connects == 0 and dials >= max_dials and emails >= max_emails
