from __future__ import annotations

from django.db import models


class Rejection(models.TextChoices):
    """Why a public submission made no lead; each has its counter on the form."""

    HONEYPOT = "honeypot", "Honeypot filled"
    TOO_FAST = "too_fast", "Sent too fast"
    BAD_STAMP = "bad_stamp", "Missing or forged page stamp"
    RATE_LIMITED = "rate_limited", "Rate limited"
    BAD_ORIGIN = "bad_origin", "Origin not allowed"
    INVALID = "invalid", "Invalid data"


# The form's counter column of each reason.
REJECTION_COLUMNS: dict[str, str] = {reason.value: f"spam_{reason.value}" for reason in Rejection}
