"""Reads on leads, always through what the reader may see."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol, overload

from django.db import connection
from django.db.models import Q, QuerySet

from leadloop.accounts.models import User
from leadloop.imports.models import ImportedRow, RowOutcome
from leadloop.leads.choices import Stage
from leadloop.leads.compiled import page_rows
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.permissions import visibility_filter
from leadloop.leads.states import OPEN_STAGES
from leadloop.lib.prepared import prepared
from leadloop.lib.rows import RowLoader

IDENTITY_KEYS = ("email_key", "phone_key", "person_key")
# A person who came back a hundred times is still one lookup.
MATCH_LIMIT = 100


def identity_q(keys: Mapping[str, Any]) -> Q:
    """Leads with the same email, phone (E.164), or person at the same company."""
    match = Q(pk__in=[])
    for key in IDENTITY_KEYS:
        if keys.get(key):
            match |= Q(**{key: keys[key]})
    return match


@dataclass(frozen=True)
class Matches:
    """Who a submission is: an open lead (a duplicate), or a closed one (a returning prospect)."""

    open: Lead | None
    closed: Lead | None


@cache
def _identity_read(vendor: str) -> tuple[str, RowLoader[Lead]]:
    """`identity_matches`' statement and its row loader, built once per process.

    A fixed statement (an absent key is NULL, which matches nothing) instead
    of the ORM's query: intake runs it for every submission, and compiling it
    cost more than running it (issue 17). It is prepared once per session on
    PostgreSQL (`lib.prepared`).
    """
    del vendor  # the cache key: quoting and converters are the vendor's
    loader = RowLoader(Lead, "l", connection)
    # `<> ''` restates the partial phone index's condition, so that the plan
    # PostgreSQL keeps for the prepared statement (one for any value) may use it.
    # It is said for every key alike: a blank key never matches (it comes as NULL).
    match = " OR ".join(
        f"(l.{connection.ops.quote_name(key)} = %s AND l.{connection.ops.quote_name(key)} <> '')"
        for key in IDENTITY_KEYS
    )
    sql = (
        f"SELECT {', '.join(loader.columns)} FROM {Lead._meta.db_table} l "  # noqa: S608 -- names
        f"WHERE ({match}) AND l.stage <> %s ORDER BY l.created_at, l.id LIMIT %s"
    )
    return sql, loader


def identity_matches(keys: Mapping[str, Any]) -> Matches:
    """The oldest open lead of the person, and her latest closed one (duplicates aside).

    The same leads as `Lead.objects.filter(identity_q(keys))`, duplicates
    excluded, oldest first.
    """
    sql, loader = _identity_read(connection.vendor)
    params = [keys.get(key) or None for key in IDENTITY_KEYS] + [Stage.DUPLICATE, MATCH_LIMIT]
    with connection.cursor() as cur:
        cur.execute(prepared(connection, "leadloop_identity_matches", sql), params)
        found = [lead for row in cur.fetchall() if (lead := loader.build(row, connection))]
    open_ = next((lead for lead in found if lead.stage in OPEN_STAGES), None)
    closed = next((lead for lead in reversed(found) if lead.stage not in OPEN_STAGES), None)
    return Matches(open_, closed)


def visible_leads(user: User) -> QuerySet[Lead]:
    q = visibility_filter(user)
    qs = Lead.objects.all()
    return qs if q is None else qs.filter(q)


class Narrowing(Protocol):
    def narrow(self, leads: QuerySet[Lead]) -> QuerySet[Lead]: ...


@dataclass(frozen=True)
class LeadFilters:
    stage: str | None = None
    owner: int | None = None
    sales_rep: int | None = None
    campaign: int | None = None
    team: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    # The leads an import made (created or reopened: a new inquiry).
    lead_import: int | None = None
    # Narrowing the list further, e.g. to the leads behind one number of a report
    # (`reports.drilldowns`): applied last, to what the reader may see.
    narrowing: Narrowing | None = None


def encode_cursor(lead_id: int) -> str:
    return base64.urlsafe_b64encode(str(lead_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ValueError("cursor is not one this API gave out") from None


def filtered_leads(user: User, filters: LeadFilters) -> QuerySet[Lead]:
    return narrow_leads(visible_leads(user), filters)


def narrow_leads(qs: QuerySet[Lead], filters: LeadFilters) -> QuerySet[Lead]:
    """The lead list's filters on any set of leads (the reader's, or all for the CLI)."""
    if filters.stage:
        qs = qs.filter(stage__in=filters.stage.split(","))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.sales_rep:
        qs = qs.filter(sales_rep_id=filters.sales_rep)
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.created_from:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__lt=filters.created_to)
    if filters.lead_import:
        qs = qs.filter(
            pk__in=ImportedRow.objects.filter(
                lead_import_id=filters.lead_import,
                outcome__in=[RowOutcome.CREATED, RowOutcome.REOPENED],
            ).values("lead_id")
        )
    if filters.q:
        term = filters.q.strip()
        qs = (
            qs.filter(email_key__startswith=term.lower())
            if "@" in term
            else qs.filter(last_name__istartswith=term) | qs.filter(company__istartswith=term)
        )
    return filters.narrowing.narrow(qs) if filters.narrowing is not None else qs


@overload
def lead_page(
    user: User, filters: LeadFilters, *, cursor: str | None, limit: int, values: None = None
) -> tuple[list[Lead], str | None]: ...


@overload
def lead_page(
    user: User, filters: LeadFilters, *, cursor: str | None, limit: int, values: Sequence[str]
) -> tuple[list[dict[str, Any]], str | None]: ...


def lead_page(
    user: User,
    filters: LeadFilters,
    *,
    cursor: str | None,
    limit: int,
    values: Sequence[str] | None = None,
) -> tuple[list[Lead], str | None] | tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated by id: page N costs the same as page 1.

    With `values` the page is plain rows of those fields (`id` among them),
    for callers that only serialise it: no model instance is built.
    """
    qs = filtered_leads(user, filters)
    if cursor:
        qs = qs.filter(pk__lt=decode_cursor(cursor))
    if values is not None:
        rows = page_rows(qs, values, order="-pk", limit=limit + 1)
        more = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
        return rows[:limit], more
    leads = list(qs.order_by("-pk").select_related("reason_code", "scored")[: limit + 1])
    next_cursor = encode_cursor(leads[limit - 1].pk) if len(leads) > limit else None
    return leads[:limit], next_cursor


# How many of a person's inquiries a lead page shows next to its own.
INQUIRY_LIMIT = 20


def related_inquiries(lead: Lead, reader: User) -> list[Lead]:
    """The same person's other inquiries linked to this one (earlier and later, each one
    leads to the next by `previous_lead`), oldest first, as far as the reader may see."""
    seen = {lead.pk}
    frontier = [lead]
    while frontier and len(seen) < INQUIRY_LIMIT:
        earlier = [x.previous_lead_id for x in frontier if x.previous_lead_id]
        found = list(
            Lead.objects.filter(
                Q(pk__in=earlier) | Q(previous_lead_id__in=[x.pk for x in frontier])
            )
            .exclude(pk__in=seen)
            .order_by("pk")[:INQUIRY_LIMIT]
        )
        seen.update(x.pk for x in found)
        frontier = found
    seen.discard(lead.pk)
    return list(visible_leads(reader).filter(pk__in=seen).order_by("created_at", "pk"))


def lead_events(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("reason_code", "actor").order_by("at", "id")
