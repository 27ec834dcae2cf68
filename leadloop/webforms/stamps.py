"""The page stamp: when a form was rendered, signed so a bot cannot forge an older one.

The hosted page and the JS snippet put a stamp into the form; a submission's
fill time is the time since then. The stamp names its form, so one form's
stamp does not open another.
"""

from __future__ import annotations

from django.core import signing

SALT = "leadloop.webforms.stamp"


class BadStamp(Exception):
    """Missing, forged, for another form, or older than the stamps' maximum age."""


def make_stamp(key: str, *, now: float) -> str:
    return signing.dumps({"k": key, "t": round(now, 3)}, salt=SALT, compress=False)


def read_stamp(stamp: str, key: str, *, max_age: int) -> float:
    """When the form was rendered (seconds since the epoch)."""
    try:
        data = signing.loads(stamp, salt=SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadStamp from None
    if not isinstance(data, dict) or data.get("k") != key:
        raise BadStamp
    rendered = data.get("t")
    if not isinstance(rendered, int | float):
        raise BadStamp
    return float(rendered)
