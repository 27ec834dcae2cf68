"""The bare endpoints the API is measured against, served only by the bench's gunicorn.

They go through the same WSGI server and middleware as the API but do no
authentication, no validation and no ORM, so the ratio API/baseline is the
cost of leadloop's own work on this machine, whatever the machine:

* `bare`: GET or POST answered with a constant (a POST's body is read): the
  floor of a request through the stack, kept as a reference;
* `bare_insert`: one INSERT of a lead row (the leads table, its indexes, the
  person fields from the JSON body) and its id back;
* `raw_intake`: the rows a real intake writes (read off a query log of one
  `POST /api/v1/leads` with an Idempotency-Key): the rep's round-robin stamp,
  the lead, its two SLA clocks, its two events and the idempotency record,
  with raw SQL in one transaction, answering the lead as JSON. No webhook
  outbox row: intake writes one only for a subscribed endpoint, and the
  bench's API phase has none. What intake only reads (its token, the
  duplicate check, the campaign's policy, the rep pick) is not here: that is
  leadloop's work, the price the ratio shows;
* `bare_list`: the 25 newest leads with the columns the API's list answers,
  one raw SELECT, as JSON. The bench's API user sees every lead (marketing),
  so these are the same 25 rows `GET /api/v1/leads?limit=25` returns.

The ids the writes need (campaign, team, rep, API user) come from
`settings.BENCH_BASELINE`, which the bench sets from its `prepare-api` part.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from leadloop.api.models import IdempotentRequest
from leadloop.api.schemas import UtcJsonEncoder
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock

LIST_LIMIT = 25
PERSON = ("first_name", "last_name", "title", "email", "company", "industry", "country")
# The API's lead object: its key and the SQL giving it (alias `l` is leads_lead,
# `rc` its reason code), in the order the API's `lead_json` writes them.
LEAD_KEYS: tuple[tuple[str, str], ...] = (
    ("id", "l.id"),
    ("stage", "l.stage"),
    ("owner", "l.owner_id"),
    ("sales_rep", "l.sales_rep_id"),
    ("handed_off_by", "l.handed_off_by_id"),
    ("campaign", "l.campaign_id"),
    ("team", "l.team_id"),
    ("priority", "l.priority"),
    ("score", "COALESCE(sc.score, 0)"),
    ("score_probability", "sc.score_probability"),
    ("tier", "COALESCE(sc.tier, '')"),
    ("first_name", "l.first_name"),
    ("last_name", "l.last_name"),
    ("title", "l.title"),
    ("email", "l.email"),
    ("phone", "l.phone"),
    ("phone_e164", "l.phone_key"),
    ("company", "l.company"),
    ("industry", "l.industry"),
    ("employees", "l.employees"),
    ("revenue_band", "l.revenue_band"),
    ("country", "l.country"),
    ("region", "l.region"),
    ("attributes", "l.attributes"),
    ("first_contact_due", "l.first_contact_due"),
    ("first_contact_at", "l.first_contact_at"),
    ("conclude_due", "l.conclude_due"),
    ("meeting_at", "l.meeting_at"),
    ("next_touch_on", "l.next_touch_on"),
    ("amount", "l.amount"),
    ("revenue", "l.revenue"),
    ("reason_code", "rc.code"),
    ("duplicate_of", "l.duplicate_of_id"),
    ("previous_lead", "l.previous_lead_id"),
    ("dials", "l.dials"),
    ("emails", "l.emails"),
    ("connects", "l.connects"),
    ("round_dials", "l.round_dials"),
    ("round_emails", "l.round_emails"),
    ("round_connects", "l.round_connects"),
    ("created_at", "l.created_at"),
    ("updated_at", "l.updated_at"),
    ("version", "l.version"),
)
# The clocks a new lead starts, with the lead's column holding each one's due time.
CLOCKS = (
    (ClockKind.FIRST_CONTACT.value, "first_contact_due"),
    (ClockKind.CONCLUDE.value, "conclude_due"),
)
DATETIME_KEYS = (
    "first_contact_due",
    "first_contact_at",
    "conclude_due",
    "meeting_at",
    "created_at",
    "updated_at",
)
FIRST_CONTACT_IN = timedelta(hours=4)
CONCLUDE_IN = timedelta(days=10)


@dataclass(frozen=True)
class Insert:
    """A raw INSERT into a model's table: every concrete column but the id.

    The columns not given per row hold their model default, prepared once; a
    hand-written INSERT would spell them as constants.
    """

    table: str
    columns: tuple[str, ...]
    constants: dict[str, Any]

    @classmethod
    def of(cls, model: type[models.Model], **fixed: Any) -> Insert:
        columns, constants = [], {}
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            columns.append(str(f.column))
            value = fixed[f.column] if f.column in fixed else f.get_default()
            constants[str(f.column)] = f.get_db_prep_save(value, connection)
        return cls(model._meta.db_table, tuple(columns), constants)

    def sql(self, rows: int = 1, *, returning: bool = False) -> str:
        quote = connection.ops.quote_name
        one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
        return (
            f"INSERT INTO {quote(self.table)} ({', '.join(quote(c) for c in self.columns)}) "  # noqa: S608 -- names from the model
            f"VALUES {', '.join([one] * rows)}" + (" RETURNING id" if returning else "")
        )

    def params(self, *rows: dict[str, Any]) -> list[Any]:
        return [row[c] if c in row else self.constants[c] for row in rows for c in self.columns]


def fixture() -> dict[str, Any]:
    """The ids the baselines write with: set by the bench (`BENCH_BASELINE`)."""
    return dict(getattr(settings, "BENCH_BASELINE", None) or {})


@cache
def _inserts() -> dict[str, Insert]:
    ids = fixture()
    return {
        "lead": Insert.of(
            Lead,
            campaign_id=ids["campaign"],
            team_id=ids["team"],
            owner_id=ids["rep"],
            stage=Stage.NEW.value,
            priority=ids["priority"],
        ),
        "clock": Insert.of(SlaClock, team_id=ids["team"], user_id=ids["rep"]),
        "event": Insert.of(LeadEvent, actor_id=ids["user"]),
        "idempotency": Insert.of(IdempotentRequest, user_id=ids["user"], status=201),
    }


def _lead_row(body: dict[str, Any], now: Any) -> dict[str, Any]:
    """The lead's columns from the body: its person fields, the keys the duplicate
    check reads, and its times."""
    row = {name: str(body.get(name, "")) for name in PERSON}
    row["email_key"] = row["email"].lower()
    row["person_key"] = f"{row['first_name']}|{row['last_name']}|{row['company']}".lower()
    row["created_at"] = row["updated_at"] = row["stage_changed_at"] = now
    return row


def _now() -> tuple[datetime, Any]:
    now = timezone.now()
    return now, connection.ops.adapt_datetimefield_value(now)


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """GET or POST; a POST body is read (as the API reads it) and dropped."""
    if request.method == "POST":
        request.body  # noqa: B018 -- reading the body is part of a request's cost
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    """One INSERT of a lead row from the JSON body, autocommitted; its id back."""
    body = json.loads(request.body)
    _, now = _now()
    lead = _inserts()["lead"]
    with connection.cursor() as cur:
        cur.execute(lead.sql(returning=True), lead.params(_lead_row(body, now)))
        (lead_id,) = cur.fetchone()
    return JsonResponse({"id": lead_id}, status=201)


@csrf_exempt
@require_POST
def raw_intake(request: HttpRequest) -> HttpResponse:
    """The rows of one intake (see the module's docstring), one transaction, the lead back."""
    raw = request.body
    body = json.loads(raw)
    ids = fixture()
    inserts = _inserts()
    moment, now = _now()
    adapt = connection.ops.adapt_datetimefield_value
    lead = _lead_row(body, now)
    due = {
        "first_contact_due": moment + FIRST_CONTACT_IN,
        "conclude_due": moment + CONCLUDE_IN,
    }
    lead |= {column: adapt(at) for column, at in due.items()}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE accounts_user SET last_assigned_at = %s WHERE id = %s", [now, ids["rep"]]
        )
        cur.execute(inserts["lead"].sql(returning=True), inserts["lead"].params(lead))
        (lead_id,) = cur.fetchone()
        clocks = [
            {
                "lead_id": lead_id,
                "kind": kind,
                "started_at": now,
                "due_at": lead[column],
                "warn_at": adapt(due[column] - (due[column] - moment) / 5),
            }
            for kind, column in CLOCKS
        ]
        cur.execute(inserts["clock"].sql(len(clocks)), inserts["clock"].params(*clocks))
        events = [
            {
                "lead_id": lead_id,
                "kind": "created",
                "at": now,
                "to_stage": Stage.NEW.value,
                "data": json.dumps({"campaign": ids["campaign"], "channel": ids["channel"]}),
            },
            {
                "lead_id": lead_id,
                "kind": "assigned",
                "at": now,
                "data": json.dumps({"owner": ids["rep"], "why": "territory or round robin"}),
            },
        ]
        cur.execute(inserts["event"].sql(len(events)), inserts["event"].params(*events))
        answer = _lead_answer(lead_id, lead, ids, moment, due)
        text = json.dumps(answer, cls=UtcJsonEncoder)
        record = {
            "key": request.headers.get("Idempotency-Key", ""),
            "fingerprint": hashlib.sha256(raw).hexdigest(),
            "body": text,
            "created_at": now,
        }
        cur.execute(inserts["idempotency"].sql(), inserts["idempotency"].params(record))
    return HttpResponse(text, status=201, content_type="application/json")


def _lead_answer(
    lead_id: int, row: dict[str, Any], ids: dict[str, Any], moment: datetime, due: dict[str, Any]
) -> dict[str, Any]:
    """The new lead as the API answers it, from the values just written."""
    constants = _inserts()["lead"].constants
    out: dict[str, Any] = {}
    for key, expr in LEAD_KEYS:
        column = expr.split(".", 1)[1]
        if key == "id":
            out[key] = lead_id
        elif column in due:
            out[key] = due[column]
        elif column in ("created_at", "updated_at"):
            out[key] = moment
        elif key == "reason_code":
            out[key] = None
        elif key == "attributes":
            out[key] = {}
        else:
            out[key] = row.get(column, constants.get(column))
    return out


@cache
def _list_sql() -> str:
    columns = ", ".join(f"{expr} AS {connection.ops.quote_name(key)}" for key, expr in LEAD_KEYS)
    return (
        f"SELECT {columns} FROM leads_lead l "  # noqa: S608 -- constant text
        "LEFT JOIN leads_reasoncode rc ON rc.id = l.reason_code_id "
        "LEFT JOIN leads_leadscore sc ON sc.lead_id = l.id "
        "ORDER BY l.id DESC LIMIT %s"
    )


@require_GET
def bare_list(request: HttpRequest) -> JsonResponse:
    """The 25 newest leads, the API's columns, one raw SELECT; the API's page shape."""
    with connection.cursor() as cur:
        cur.execute(_list_sql(), [LIST_LIMIT + 1])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    naive = connection.vendor != "postgresql"
    for row in rows:
        # The JSON column comes as text (Django's psycopg set-up, SQLite), as the ORM reads it.
        if isinstance(row["attributes"], str):
            row["attributes"] = json.loads(row["attributes"])
        if naive:
            # SQLite stores naive UTC: the ORM's converters make it aware, so must this.
            for key in DATETIME_KEYS:
                if row[key] is not None:
                    row[key] = parse_datetime(row[key]) if isinstance(row[key], str) else row[key]
                    row[key] = row[key].replace(tzinfo=UTC)
    more = len(rows) > LIST_LIMIT
    cursor = base64.urlsafe_b64encode(str(rows[LIST_LIMIT - 1]["id"]).encode()) if more else b""
    return JsonResponse(
        {"items": rows[:LIST_LIMIT], "next_cursor": cursor.decode().rstrip("=") or None},
        encoder=UtcJsonEncoder,
    )
