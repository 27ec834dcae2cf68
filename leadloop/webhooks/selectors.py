"""Reads: who wants which events, endpoints and their delivery logs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet

from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from leadloop.webhooks.rules import wants


@dataclass(frozen=True)
class Subscription:
    endpoint_id: int
    team_id: int | None
    event_types: str

    def takes(self, type_: str, team_id: int | None) -> bool:
        return (self.team_id is None or self.team_id == team_id) and wants(self.event_types, type_)


_CACHE_ATTR = "_leadloop_webhook_subscriptions"


def subscriptions() -> list[Subscription]:
    """The active endpoints and what they want: read once per transaction.

    An action writing events asks this for every event batch; a team without
    endpoints pays one small query per transaction, not one per event (none
    at all when the action read them with its own first statement:
    `subscriptions_sql`, `remember_subscriptions`). The answer is kept on the
    connection beside a marker hook registered with `on_commit`: once the
    transaction ends (committed or rolled back) the marker is gone from the
    connection's hook list and the next transaction reads again.
    """
    if connection.in_atomic_block:
        cached = getattr(connection, _CACHE_ATTR, None)
        if cached is not None:
            marker, subs = cached
            if any(hook[1] is marker for hook in connection.run_on_commit):
                return list(subs)
    subs = [
        Subscription(pk, team_id, types)
        for pk, team_id, types in Endpoint.objects.filter(is_active=True).values_list(
            "pk", "team_id", "event_types"
        )
    ]
    _keep(subs)
    return list(subs)


def _keep(subs: list[Subscription]) -> None:
    """Keep this transaction's subscriptions for its later reads (see `subscriptions`)."""
    if connection.in_atomic_block:

        def marker() -> None:
            """Marks this transaction's cached subscriptions; does nothing on commit."""

        connection.on_commit(marker)
        setattr(connection, _CACHE_ATTR, (marker, subs))


@cache
def subscriptions_sql(vendor: str) -> str:
    """A scalar subquery giving what `subscriptions` reads, as one JSON array of
    [id, team_id, event_types]: an action's first statement reads it along, and
    hands the value to `remember_subscriptions` (one round trip less; intake)."""
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    agg, row = (
        ("json_agg", "json_build_array")
        if vendor == "postgresql"
        else ("json_group_array", "json_array")
    )
    return (
        f"(SELECT {agg}({row}(e.id, e.team_id, e.event_types)) "  # noqa: S608 -- names only
        f"FROM {table} e WHERE e.is_active)"
    )


def remember_subscriptions(value: str | list[Any] | None) -> None:
    """The current transaction's subscriptions, as `subscriptions_sql` read them."""
    rows = json.loads(value) if isinstance(value, str) else (value or [])
    _keep([Subscription(int(pk), team_id, types) for pk, team_id, types in rows])


def forget_subscriptions() -> None:
    """An endpoint changed in this transaction: the next read sees it."""
    if hasattr(connection, _CACHE_ATTR):
        delattr(connection, _CACHE_ATTR)


def takers(type_: str, team_id: int | None) -> list[int]:
    return [s.endpoint_id for s in subscriptions() if s.takes(type_, team_id)]


def anyone_wants(types: Iterable[str]) -> bool:
    subs = subscriptions()
    return any(wants(s.event_types, t) for s in subs for t in types)


def endpoints() -> QuerySet[Endpoint]:
    return Endpoint.objects.select_related("team", "owner").order_by("id")


def deliveries(
    endpoint: Endpoint, *, state: str | None = None, since: datetime | None = None
) -> QuerySet[Delivery]:
    rows = Delivery.objects.filter(endpoint=endpoint)
    if state:
        rows = rows.filter(state=state)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("id"))
    ).order_by("-id")


def counts(endpoint: Endpoint) -> dict[str, int]:
    return dict(
        Delivery.objects.filter(endpoint=endpoint)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
