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
from functools import cache
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


# Claiming the key is one statement: the row is inserted at once, with a
# placeholder answer the handler's own is written over, or, if the key has an
# answer past the window, that row is taken over. A second request with the
# same key waits on the first one's uncommitted row (the unique constraint),
# then finds it answered. It replaced an advisory lock, a SELECT and the
# ORM's INSERT: two round trips and two ORM compilations of every intake
# less (issue 17; on the shared 2-core machine a round trip is 1-3 ms).
_CLAIM = """
INSERT INTO {table} (user_id, {key}, fingerprint, status, body, created_at)
VALUES (%s, %s, %s, 0, %s, %s)
ON CONFLICT (user_id, {key}) DO UPDATE SET
  fingerprint = excluded.fingerprint, status = 0, body = excluded.body,
  created_at = excluded.created_at
WHERE {table}.created_at <= %s
RETURNING id
"""
_ANSWER = "UPDATE {table} SET status = %s, body = %s WHERE id = %s"


@cache
def _statements(vendor: str) -> tuple[str, str]:
    """The claim and the answer's UPDATE, for the database vendor (quoting)."""
    del vendor  # the cache key
    qn = connection.ops.quote_name
    names = {"table": qn(IdempotentRequest._meta.db_table), "key": qn("key")}
    return _CLAIM.format(**names), _ANSWER.format(**names)


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
    leaves either both (the lead and its answer) or neither. An answer older
    than the window does not count: the key is free again, whether or not
    the tick has come by to delete it yet.
    """
    if not key:
        with transaction.atomic():
            return handler()
    if len(key) > MAX_KEY:
        raise ValidationError({"Idempotency-Key": f"is longer than {MAX_KEY} characters"})
    claim, answer = _statements(connection.vendor)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                claim,
                [
                    user.pk,
                    key,
                    fingerprint,
                    connection.ops.adapt_json_value({}, None),
                    adapt(now),
                    adapt(now - settings.IDEMPOTENCY_WINDOW),
                ],
            )
            claimed = cur.fetchone()
        if claimed is None:
            stored = IdempotentRequest.objects.get(user=user, key=key)
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
        with connection.cursor() as cur:
            # Encoded once, as the API encodes its answers (times in UTC `Z`).
            cur.execute(
                answer, [status, connection.ops.adapt_json_value(body, UtcJsonEncoder), claimed[0]]
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
