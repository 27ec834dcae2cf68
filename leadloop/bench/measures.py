"""What `leadloop bench_worker` measures, inside a process set up for the fresh database.

Each function runs in its own subprocess (so peak memory is that part's
alone) and returns plain JSON-able numbers. Timed code and its baseline run
in the same process, one after the other, so machine noise hits both.
"""

from __future__ import annotations

import resource
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Field
from django.test import Client
from django.utils import timezone

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.services import check_token, create_token, create_user, token_digest
from leadloop.bench.copies import add_running_clocks, copy_leads
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import policy_for
from leadloop.demo.seed import seed_demo
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead
from leadloop.leads.permissions import visibility_filter
from leadloop.leads.queues import QUEUE_PAGE
from leadloop.leads.states import INSIDE_OPEN
from leadloop.lifecycle.intake import create_lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.sla.choices import ClockKind
from leadloop.webforms.services import create_form
from leadloop.webforms.stamps import make_stamp

SCRATCH_TABLE = "bench_copy"
COPY_RUNS = 3
# Transitions are fast; 200 gives a p99 that is not just the maximum.
TRANSITIONS = 200
WARMUP = 20


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: an observed value, never an interpolation."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats' surprises
    return ordered[int(rank) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms, default=0.0), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else 0.0,
    }


def db_info() -> dict[str, Any]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            version = str(cur.fetchone()[0])
        else:
            version = sqlite3.sqlite_version
    return {"vendor": connection.vendor, "version": version}


# ---------------------------------------------------------------- inserts


def _lead_like_rows(n: int) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Rows with every column of leads_lead, cheap to make: the floor any seeder pays.

    Values are text, as COPY's text format and SQLite both take them; only
    the id and the person columns vary from row to row.
    """
    fields: list[Field[Any, Any]] = list(Lead._meta.concrete_fields)
    columns = [f.column or f.name for f in fields]
    stamp = timezone.now().isoformat()
    template: list[Any] = []
    for f in fields:
        internal = f.get_internal_type()
        if f.null:
            template.append(None)
        elif internal == "JSONField":
            template.append("{}")
        elif internal == "DateTimeField":
            template.append(stamp)
        elif internal in ("ForeignKey", "BigAutoField") or "Integer" in internal:
            template.append(1)
        elif f.name == "country":
            template.append("DE")
        elif f.name == "stage":
            template.append(Stage.NEW.value)
        else:
            template.append("")
    index = {
        name: columns.index(name)
        for name in ("id", "first_name", "last_name", "email", "company", "email_key")
    }

    def rows() -> Iterator[tuple[Any, ...]]:
        row = list(template)
        for i in range(1, n + 1):
            email = f"lead{i}@company{i % 997}.example"
            row[index["id"]] = i
            row[index["first_name"]] = f"First{i}"
            row[index["last_name"]] = f"Last{i}"
            row[index["company"]] = f"Company {i % 997}"
            row[index["email"]] = email
            row[index["email_key"]] = email
            yield tuple(row)

    return columns, rows()


def _copy_once(rows: int) -> tuple[int, float]:
    """One raw bulk insert into a fresh scratch table: (rows written, seconds)."""
    columns, data = _lead_like_rows(rows)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        if connection.vendor == "postgresql":
            cur.execute(f"CREATE TABLE {SCRATCH_TABLE} (LIKE leads_lead)")
        else:
            cur.execute(f"CREATE TABLE {SCRATCH_TABLE} AS SELECT * FROM leads_lead WHERE 0")  # noqa: S608
    connection.ensure_connection()
    raw = connection.connection
    start = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {SCRATCH_TABLE} ({quoted}) FROM STDIN") as copy,
            ):
                for row in data:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            insert = f"INSERT INTO {SCRATCH_TABLE} ({quoted}) VALUES ({marks})"  # noqa: S608
            raw.executemany(insert, data)
    seconds = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {SCRATCH_TABLE}")  # noqa: S608
        written = int(cur.fetchone()[0])
        cur.execute(f"DROP TABLE {SCRATCH_TABLE}")
    return written, seconds


def copy_baseline(*, rows: int) -> dict[str, Any]:
    """Raw COPY (PostgreSQL) or executemany (SQLite) of lead-like rows into a bare table.

    The scratch table has leads_lead's columns but no index or constraint
    and is logged like the real one; it is dropped afterwards. The insert is
    short (a second for 100,000 rows) against a seed of a minute, so one
    stray stall would move the ratio: the median of COPY_RUNS runs is used.
    """
    runs = [_copy_once(rows) for _ in range(COPY_RUNS)]
    rates = sorted(written / seconds for written, seconds in runs if seconds)
    return {
        "method": "COPY" if connection.vendor == "postgresql" else "executemany",
        "rows": runs[0][0],
        "runs_rows_per_s": [round(written / seconds, 1) for written, seconds in runs if seconds],
        "rows_per_s": round(rates[len(rates) // 2], 1) if rates else 0.0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def seed(*, leads: int, seed: int, progress: bool) -> dict[str, Any]:
    """The demo seeder at the requested size, timed whole (organisation set-up included).

    Rows are every row it wrote: leads, activities, events and handoffs.
    """
    start = time.perf_counter()
    summary = seed_demo(leads=leads, seed=seed, now=timezone.now(), progress=progress)
    seconds = time.perf_counter() - start
    if summary.interrupted:
        raise KeyboardInterrupt
    return {
        "leads": summary.leads,
        "activities": summary.activities,
        "events": summary.events,
        "handoffs": summary.handoffs,
        "rows": summary.rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(summary.rows / seconds, 1) if seconds else 0.0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


# ---------------------------------------------------------------- API set-up


# The web form the bench posts to: the API intake's fields.
BENCH_FORM_FIELDS = ["first_name", "last_name", "company", "country", "title", "industry"]


def prepare_api() -> dict[str, Any]:
    """Statistics, an API token and a campaign for the HTTP load.

    After a bulk load PostgreSQL's autovacuum analyzes the tables within a
    minute; ANALYZE now stands for that, so plans are the ones production gets.
    """
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    user = (
        User.objects.filter(groups__name=Role.MARKETING, is_active=True).order_by("pk").first()
        or User.objects.filter(groups__name=Role.ADMIN, is_active=True).order_by("pk").first()
        or create_user(username="bench-marketing", role=Role.MARKETING)
    )
    campaign = Campaign.objects.filter(is_active=True).order_by("pk").first()
    if campaign is None:
        raise ImproperlyConfigured("the seeded database has no active campaign")
    _, secret = create_token(user=user, now=timezone.now(), name="leadloop bench")
    form = create_form(
        actor=user,
        campaign=campaign,
        name=f"leadloop bench {time.time_ns()}",
        fields=[
            *BENCH_FORM_FIELDS[:2],
            {"name": "email", "required": True},
            *BENCH_FORM_FIELDS[2:],
        ],
        now=timezone.now(),
    )
    if visibility_filter(user) is not None:
        # The bare list baseline lists the newest leads unfiltered: the same rows only
        # for a reader who sees every lead.
        raise ImproperlyConfigured(f"the bench's API user {user} does not see every lead")
    rep = (
        User.objects.filter(groups__name=Role.INSIDE_REP, team=campaign.team, is_active=True)
        .order_by("pk")
        .first()
    )
    return {
        # What the baseline endpoints write with (leadloop.bench.baseline).
        "baseline": {
            "campaign": campaign.pk,
            "team": campaign.team_id,
            "channel": campaign.channel,
            "rep": rep.pk if rep is not None else None,
            "user": user.pk,
            "priority": policy_for(campaign).priority,
        },
        "form_key": form.key,
        # Made a minute "ago" in this process, with the server's SECRET_KEY: a person's
        # fill time, so the form's whole path is measured (the stamp check included).
        "form_stamp": make_stamp(form.key, now=time.time() - 60),
        "token": secret,
        "user": user.username,
        "role": user.role,
        "campaign": campaign.pk,
        "leads_in_table": Lead.objects.count(),
    }


# ---------------------------------------------------------------- transitions


def _startable_leads(count: int) -> list[Lead]:
    """Leads an inside rep can start work on; made with the intake service if too few."""
    startable = [Stage.NEW, Stage.REJECTED, Stage.RECYCLED]
    leads = list(
        Lead.objects.filter(stage__in=startable).select_related("owner").order_by("-pk")[:count]
    )
    campaign = Campaign.objects.filter(is_active=True).order_by("pk").first()
    while len(leads) < count and campaign is not None:
        n = len(leads)
        data = {
            "first_name": "Bench",
            "last_name": f"Transition{n}",
            "email": f"bench-transition-{n}-{time.time_ns()}@bench.example",
            "country": "DE",
        }
        leads.append(create_lead(data=data, campaign=campaign, actor=None, now=timezone.now()).lead)
    return leads


def _timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    took = []
    for call in calls:
        start = time.perf_counter()
        call()
        took.append(time.perf_counter() - start)
    return took


def transitions(*, count: int = TRANSITIONS) -> dict[str, Any]:
    """`start_work` by the lead's own rep through lead_transition, and a raw UPDATE.

    The baseline is the least a transition can cost: one UPDATE of the lead
    row, committed, on the same connection.
    """
    leads = _startable_leads(count + WARMUP)
    for user in {lead.owner_id: lead.owner for lead in leads if lead.owner}.values():
        _ = user.role  # the role is looked up once per request in the API as well

    def start_work(lead: Lead) -> Callable[[], object]:
        return lambda: lead_transition(
            lead=lead.pk, action=Action.START_WORK, actor=lead.owner, now=timezone.now()
        )

    def bump(pk: int) -> Callable[[], object]:
        def run() -> None:
            with connection.cursor() as cur:
                cur.execute("UPDATE leads_lead SET version = version + 1 WHERE id = %s", [pk])

        return run

    warm, measured = leads[:WARMUP], leads[WARMUP:]
    _timed([start_work(lead) for lead in warm])
    service = _timed([start_work(lead) for lead in measured])
    _timed([bump(lead.pk) for lead in warm])
    baseline = _timed([bump(lead.pk) for lead in measured])
    return {
        "action": Action.START_WORK.value,
        "service": latency_summary(service),
        "baseline": latency_summary(baseline),
    }


# ---------------------------------------------------------------- token authentication


AUTH_CALLS = 2000


def token_auth(*, calls: int = AUTH_CALLS) -> dict[str, Any]:
    """`check_token` on a fresh token, warm, `calls` times, and its floor: the one raw
    SELECT by digest (the digest computed each time too) through a cursor."""
    user = User.objects.filter(groups__name=Role.MARKETING, is_active=True).order_by(
        "pk"
    ).first() or create_user(username=f"bench-auth-{time.time_ns()}", role=Role.MARKETING)
    _, secret = create_token(user=user, now=timezone.now(), name="leadloop bench auth")

    def check() -> None:
        check_token(secret, now=timezone.now())

    def select() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, user_id, revoked_at, expires_at, last_used_at, read_only "
                "FROM accounts_apitoken WHERE digest = %s",
                [token_digest(secret)],
            )
            cur.fetchone()

    warm = max(WARMUP, calls // 10)
    _timed([check] * warm)
    service = _timed([check] * calls)
    _timed([select] * warm)
    baseline = _timed([select] * calls)
    return {
        "calls": calls,
        "service": latency_summary(service),
        "baseline": latency_summary(baseline),
    }


# ---------------------------------------------------------------- the queue page


QUEUE_OPEN_LEADS = 3000
QUEUE_REQUESTS = 50


def _give_open_leads(rep: User, count: int, now: datetime) -> int:
    """Make `count` open inside leads the rep's, set-based: the newest open leads of
    other reps move to her (with their running clocks); copies of one fill any gap."""
    open_stages = sorted(s.value for s in INSIDE_OPEN)
    marks = ", ".join(["%s"] * len(open_stages))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"UPDATE leads_lead SET owner_id = %s WHERE id IN (SELECT id FROM leads_lead "  # noqa: S608
            f"WHERE stage IN ({marks}) AND owner_id IS NOT NULL ORDER BY id DESC LIMIT %s)",
            [rep.pk, *open_stages, count],
        )
        moved = cur.rowcount
        cur.execute(
            "UPDATE sla_slaclock SET user_id = %s WHERE stopped_at IS NULL AND lead_id IN "
            "(SELECT id FROM leads_lead WHERE owner_id = %s)",
            [rep.pk, rep.pk],
        )
    missing = count - moved
    if missing > 0:
        _copy_open_leads(rep, missing, now)
    return Lead.objects.filter(owner=rep, stage__in=INSIDE_OPEN).count()


def _copy_open_leads(rep: User, count: int, now: datetime) -> None:
    """`count` copies of one lead, working and the rep's, each with a running clock."""
    template = Lead.objects.order_by("pk").values_list("pk", flat=True).first()
    if template is None:
        raise ImproperlyConfigured("the queue bench needs a seeded lead")
    with transaction.atomic():
        first = copy_leads(
            count=count,
            label="queue",
            created=now - timedelta(days=1),
            template=template,
            columns={"owner_id": "%(rep)s", "priority": "1 + g.n %% 3"},
            params={"rep": rep.pk},
        )
        # Their scores (`leads.LeadScore`), so the page sorts by score too.
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO leads_leadscore (lead_id, score, tier, lines) "
                "SELECT id, id %% 100, '', '[]' FROM leads_lead WHERE id >= %s",
                [first],
            )
        # One in ten is past due, so the page sorts breached and running clocks.
        add_running_clocks(
            first=first,
            kind=ClockKind.CONCLUDE.value,
            due_every=10,
            due_past=now - timedelta(hours=1),
            due_later=now + timedelta(days=5),
            warn_past=now - timedelta(hours=1),
            warn_later=now + timedelta(days=5),
        )


def _queue_sql() -> str:
    """The rep's open leads in the queue's order (breached, due soonest, priority, score)."""
    stages = ", ".join(f"'{s.value}'" for s in sorted(INSIDE_OPEN))
    return (
        "SELECT l.id, l.first_name, l.last_name, l.company, l.stage, l.priority, sc.score, "  # noqa: S608 -- constant text
        "l.campaign_id, l.team_id, l.claimed_by_id, l.claimed_until, "
        "EXISTS (SELECT 1 FROM sla_slaclock c WHERE c.lead_id = l.id AND c.stopped_at IS NULL "
        "AND (c.result = 'breached' OR c.due_at <= %(now)s)) AS breached, "
        "(SELECT min(c.due_at) FROM sla_slaclock c WHERE c.lead_id = l.id "
        "AND c.stopped_at IS NULL) AS due "
        "FROM leads_lead l LEFT JOIN leads_leadscore sc ON sc.lead_id = l.id "
        f"WHERE l.owner_id = %(rep)s AND l.stage IN ({stages}) "
        "ORDER BY breached DESC, due ASC NULLS LAST, l.priority, COALESCE(sc.score, 0) DESC, "
        "l.id LIMIT %(limit)s"
    )


def queue_page(
    *, open_leads: int = QUEUE_OPEN_LEADS, requests: int = QUEUE_REQUESTS
) -> dict[str, Any]:
    """GET /queue/ of a new inside rep holding `open_leads` open leads, through Django's
    test client (the whole middleware stack, no HTTP server), and a raw SELECT of
    her queue's first page as its floor."""
    now = timezone.now()
    team = (
        User.objects.filter(groups__name=Role.INSIDE_REP, team__isnull=False)
        .values_list("team", flat=True)
        .order_by("pk")
        .first()
    )
    rep = create_user(
        username=f"bench-queue-{time.time_ns()}",
        role=Role.INSIDE_REP,
        team=Team.objects.get(pk=team) if team is not None else None,
    )
    held = _give_open_leads(rep, open_leads, now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(rep)

    def page() -> None:
        response = client.get("/queue/")
        if response.status_code != 200:
            raise ImproperlyConfigured(f"GET /queue/ answered {response.status_code}")

    def select() -> None:
        with connection.cursor() as cur:
            cur.execute(_queue_sql(), {"now": timezone.now(), "rep": rep.pk, "limit": QUEUE_PAGE})
            cur.fetchall()

    _timed([page] * 5)
    service = _timed([page] * requests)
    _timed([select] * 5)
    baseline = _timed([select] * requests)
    return {
        "open_leads": held,
        "leads_in_table": Lead.objects.count(),
        "requests": requests,
        "service": latency_summary(service),
        "baseline": latency_summary(baseline),
    }
