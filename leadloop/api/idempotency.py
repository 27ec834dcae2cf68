"""Idempotency-Key: a retried request returns the first answer and creates nothing.

Answers are kept for IDEMPOTENCY_WINDOW (24 hours by default; README,
"Limits"): a retry within it is answered from the store, one after it is a
new request. The tick deletes the answers past the window.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from leadloop.accounts.models import User
from leadloop.api.models import IdempotentRequest
from leadloop.api.schemas import UtcJsonEncoder

MAX_KEY = 200


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request: method, path and the body's meaning.

    A JSON body counts by its content, not its spelling: a retry that sends the
    same object with other whitespace or key order is the same request.
    """
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def run_once(
    *,
    user: User,
    key: str | None,
    fingerprint: str,
    now: datetime,
    handler: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Run `handler` unless this key already has an answer; store the answer atomically.

    The answer is stored in the handler's own transaction, so a crash
    leaves either both (the lead and its answer) or neither.
    """
    if not key:
        with transaction.atomic():
            return handler()
    if len(key) > MAX_KEY:
        raise ValidationError({"Idempotency-Key": f"is longer than {MAX_KEY} characters"})
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", [f"{user.pk}:{key}"]
                )
        stored = IdempotentRequest.objects.filter(user=user, key=key).first()
        if stored is not None and stored.created_at <= now - settings.IDEMPOTENCY_WINDOW:
            # Past the window the key is free again, whether or not the tick
            # has come by to delete the old answer yet.
            stored.delete()
            stored = None
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ValidationError(
                    {
                        "Idempotency-Key": (
                            "was already used for a different request; use a new key for new data"
                        )
                    }
                )
            return stored.status, stored.body
        status, body = handler()
        IdempotentRequest.objects.create(
            user=user,
            key=key,
            fingerprint=fingerprint,
            status=status,
            body=json.loads(json.dumps(body, cls=UtcJsonEncoder)),
            created_at=now,
        )
        return status, body


def purge_idempotency_records(*, now: datetime) -> int:
    """Delete the answers older than IDEMPOTENCY_WINDOW; how many went.

    One set-based DELETE (nothing refers to these rows, so Django issues a
    single statement), using the index on created_at.
    """
    cutoff = now - settings.IDEMPOTENCY_WINDOW
    deleted, _ = IdempotentRequest.objects.filter(created_at__lte=cutoff).delete()
    return deleted
