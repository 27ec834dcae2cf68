"""The demo seeder: reproducible, consistent with the lifecycle, with plausible rates.

Every test seeds its own organisation (the shared `world` fixture would
collide with the demo roster) at a pinned `now`.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Count, Max

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import policy_for
from leadloop.demo import simulation
from leadloop.demo.org import CAMPAIGNS, PEOPLE, TEAMS
from leadloop.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo
from leadloop.demo.timeline import BusinessAxis, epoch
from leadloop.handoff.models import Handoff
from leadloop.leads import identity
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.states import CLOSED_STAGES, INSIDE_OPEN, OPEN_STAGES, next_stage
from leadloop.lib.businesscal import (
    add_business_days,
    add_business_hours,
    is_open,
    standard_calendar,
)
from leadloop.notifications.models import Notification
from leadloop.outreach.choices import CONNECT_OUTCOMES
from leadloop.outreach.models import Activity
from leadloop.sla import rules as sla_rules
from leadloop.sla.models import SlaClock

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday


def _fingerprint() -> str:
    """A digest of the seeded data by natural keys (user ids differ between runs on PG)."""
    digest = hashlib.sha256()
    leads = Lead.objects.order_by("id").values_list(
        "email",
        "phone",
        "company",
        "stage",
        "owner__username",
        "sales_rep__username",
        "created_at",
        "first_contact_due",
        "first_contact_at",
        "dials",
        "emails",
        "connects",
        "scored__score",
        "version",
        "reason_code__code",
        "amount",
        "closed_at",
    )
    events = LeadEvent.objects.order_by("id").values_list(
        "lead__email", "kind", "action", "at", "actor__username", "to_stage"
    )
    activities = Activity.objects.order_by("id").values_list(
        "lead__email", "actor__username", "kind", "outcome", "occurred_at"
    )
    for rows in (leads, events, activities):
        for row in rows.iterator():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _seed_and_forget(*, leads: int, seed: int) -> tuple[str, Counter[str]]:
    """Seed into the (empty) test database, take a fingerprint, roll it all back."""
    with transaction.atomic():
        summary = seed_demo(leads=leads, seed=seed, now=NOW)
        found = _fingerprint(), summary.by_stage
        transaction.set_rollback(True)
    return found


@pytest.mark.django_db
def test_same_leads_seed_and_now_give_the_same_data() -> None:
    first, stages = _seed_and_forget(leads=600, seed=3)
    second, stages_again = _seed_and_forget(leads=600, seed=3)
    other, _ = _seed_and_forget(leads=600, seed=4)
    assert sum(stages.values()) == 600
    assert (first, stages) == (second, stages_again)
    assert other != first


@pytest.mark.django_db
def test_batch_size_does_not_change_the_data() -> None:
    with transaction.atomic():
        seed_demo(leads=300, seed=5, now=NOW, batch=70)
        small_batches = _fingerprint()
        transaction.set_rollback(True)
    with transaction.atomic():
        seed_demo(leads=300, seed=5, now=NOW)
        assert _fingerprint() == small_batches
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_every_leads_events_replay_to_its_stage() -> None:
    seed_demo(leads=600, seed=11, now=NOW)
    events: dict[int, list[LeadEvent]] = defaultdict(list)
    for event in LeadEvent.objects.order_by("at", "id"):
        events[event.lead_id].append(event)
    handoffs = Counter(Handoff.objects.values_list("lead_id", flat=True))
    leads = list(Lead.objects.select_related("reason_code"))
    assert len(leads) == 600
    for lead in leads:
        history = events[lead.pk]
        assert [e.kind for e in history[:2]] == ["created", "assigned"], lead.pk
        stage = "new"
        moves = [e for e in history if e.kind == "transition"]
        for event in moves:
            assert event.from_stage == stage, (lead.pk, event.action)
            stage = next_stage(stage, event.action)
            assert event.to_stage == stage
        assert stage == lead.stage, lead.pk
        assert lead.version == len(moves) + 1
        assert lead.stage_changed_at == (moves[-1].at if moves else lead.created_at)
        assert (lead.closed_at is not None) == (lead.stage in CLOSED_STAGES), lead.pk
        assert handoffs[lead.pk] == sum(e.action == "hand_off" for e in moves)
        reasons = [e.reason_code_id for e in moves if e.reason_code_id]
        assert lead.reason_code_id == (reasons[-1] if reasons else None)
        assert all(e.at <= NOW for e in history)
        if lead.stage in ("disqualified", "disqualified_by_sales", "lost", "rejected"):
            assert lead.reason_code is not None, lead.pk


@pytest.mark.django_db
def test_counters_and_times_match_the_activities() -> None:
    seed_demo(leads=600, seed=12, now=NOW)
    recycled_at = dict(
        LeadEvent.objects.filter(action="recycle").order_by("at").values_list("lead_id", "at")
    )  # the last recycle wins
    # A rejection (or a recycle) starts a fresh first-contact clock.
    fresh_clock_at = dict(
        LeadEvent.objects.filter(action__in=["recycle", "reject"])
        .order_by("at")
        .values_list("lead_id", "at")
    )
    activities: dict[int, list[Activity]] = defaultdict(list)
    for activity in Activity.objects.order_by("occurred_at", "id"):
        activities[activity.lead_id].append(activity)
    for lead in Lead.objects.all():
        done = activities[lead.pk]
        assert all(lead.created_at <= a.occurred_at <= NOW for a in done)
        # The counters keep the lead's whole history; a recycle starts a new round.
        since = [
            a for a in done if lead.pk not in recycled_at or a.occurred_at > recycled_at[lead.pk]
        ]
        attempts = [
            a
            for a in done
            if a.kind in ("call", "email")
            and (lead.pk not in fresh_clock_at or a.occurred_at > fresh_clock_at[lead.pk])
        ]
        assert lead.dials == sum(a.kind == "call" for a in done), lead.pk
        assert lead.emails == sum(a.outcome in ("sent", "bounced") for a in done), lead.pk
        assert lead.connects == sum(a.outcome in CONNECT_OUTCOMES for a in done), lead.pk
        assert lead.round_dials == sum(a.kind == "call" for a in since), lead.pk
        assert lead.round_emails == sum(a.outcome in ("sent", "bounced") for a in since), lead.pk
        assert lead.round_connects == sum(a.outcome in CONNECT_OUTCOMES for a in since), lead.pk
        assert lead.first_contact_at == (attempts[0].occurred_at if attempts else None), lead.pk
        assert lead.last_activity_at == (done[-1].occurred_at if done else None), lead.pk
        assert lead.updated_at >= lead.stage_changed_at


@pytest.mark.django_db
def test_unreachable_leads_used_up_their_attempt_policy() -> None:
    seed_demo(leads=600, seed=13, now=NOW)
    unreachable = Lead.objects.filter(stage="unreachable").select_related("campaign")
    assert unreachable.exists()
    for lead in unreachable:
        policy = policy_for(lead.campaign)
        rounds = (lead.round_dials, lead.round_emails, lead.round_connects)
        assert rounds == (policy.max_dials, policy.max_emails, 0)


@pytest.mark.django_db
def test_keys_and_due_times_are_the_ones_intake_would_compute() -> None:
    seed_demo(leads=400, seed=14, now=NOW)
    recycled = set(
        LeadEvent.objects.filter(action__in=["recycle", "reject"]).values_list("lead_id", flat=True)
    )
    for lead in Lead.objects.select_related("campaign", "team"):
        assert lead.email_key == identity.email_key(lead.email)
        assert lead.person_key == identity.person_key(lead.first_name, lead.last_name, lead.company)
        assert lead.phone_key == identity.phone_key(lead.phone)
        if lead.pk not in recycled:
            policy, cal = policy_for(lead.campaign), team_calendar(lead.team)
            assert lead.first_contact_due == sla_rules.first_contact_due(
                policy, cal, lead.created_at
            )
            assert lead.conclude_due == sla_rules.conclude_due(policy, cal, lead.created_at)
            assert lead.priority == policy.priority


@pytest.mark.django_db
def test_inside_work_happens_in_business_hours() -> None:
    seed_demo(leads=400, seed=15, now=NOW)
    calendars = {t.pk: team_calendar(t) for t in Team.objects.all()}
    inside = Activity.objects.filter(
        actor__groups__name=Role.INSIDE_REP, kind__in=["call", "email"]
    ).select_related("lead")
    opening = [is_open(calendars[a.lead.team_id], a.occurred_at) for a in inside]
    assert len(opening) > 1000
    assert sum(opening) / len(opening) > 0.99


@pytest.mark.django_db
def test_rates_are_plausible() -> None:
    seed_demo(leads=3000, seed=21, now=NOW)
    stages = Counter(dict(Lead.objects.values_list("stage").annotate(n=Count("id"))))
    closed_inside = stages["unreachable"] + stages["disqualified"]
    assert 0.2 <= stages["unreachable"] / closed_inside <= 0.5

    handed = set(LeadEvent.objects.filter(action="hand_off").values_list("lead_id", flat=True))
    assert 0.02 <= len(handed) / 3000 <= 0.06
    inside_dials = Activity.objects.filter(kind="call", actor__groups__name=Role.INSIDE_REP).count()
    assert 100 <= inside_dials / len(handed) <= 500

    answers = Counter(
        LeadEvent.objects.filter(action__in=["accept", "reject"]).values_list("action", flat=True)
    )
    assert 0.65 <= answers["accept"] / (answers["accept"] + answers["reject"]) <= 0.92
    meetings = Counter(
        LeadEvent.objects.filter(action__in=["meeting_held", "no_show"]).values_list(
            "action", flat=True
        )
    )
    assert 0.1 <= meetings["no_show"] / (meetings["no_show"] + meetings["meeting_held"]) <= 0.35
    assert min(stages["won"], stages["lost"], stages["opportunity"]) > 0

    # Out of target differs by campaign: purchased lists are worse than referrals.
    shares = []
    for campaign in Campaign.objects.all():
        reached = Lead.objects.filter(campaign=campaign, connects__gt=0)
        if reached.count() >= 30:
            out = reached.filter(reason_code__out_of_target=True, stage="disqualified").count()
            shares.append(out / reached.count())
    assert len(shares) >= 5
    assert max(shares) - min(shares) > 0.15


@pytest.mark.django_db
def test_recent_leads_are_still_being_worked() -> None:
    seed_demo(leads=3000, seed=22, now=NOW)
    recent = Lead.objects.filter(created_at__gte=NOW - timedelta(days=14))
    stages = Counter(recent.values_list("stage", flat=True))
    open_share = sum(n for s, n in stages.items() if s in OPEN_STAGES) / sum(stages.values())
    assert open_share > 0.4
    assert min(stages["new"], stages["working"]) > 0
    fresh = recent.filter(stage="new")
    assert fresh.filter(first_contact_due__lt=NOW).exists()  # breached
    assert fresh.filter(first_contact_due__gte=NOW).exists()  # due, some at risk
    older = Lead.objects.filter(created_at__lt=NOW - timedelta(days=90))
    older_open = older.filter(stage__in=INSIDE_OPEN).count()
    assert older_open / older.count() < 0.05


@pytest.mark.django_db
def test_organisation_roles_logins_and_second_seed() -> None:
    first = seed_demo(leads=150, seed=31, now=NOW)
    assert (first.users_created, first.campaigns_created) == (len(PEOPLE), len(CAMPAIGNS))
    assert len(CAMPAIGNS) >= 10
    assert all(user.role is not None for user in User.objects.all())
    by_name = {u.username: u for u in User.objects.all()}
    assert {role for role, _ in demo_logins()} == set(Role.values)
    for role, username in demo_logins():
        assert by_name[username].role == role
        assert by_name[username].is_active
    assert by_name["admin"].check_password(DEMO_PASSWORD)
    assert not by_name["julia.neumann"].is_active
    assert Lead.objects.filter(owner=by_name["julia.neumann"]).exists()
    berlin = Team.objects.get(name="Berlin Teleprospecting")
    assert {t.name for t in berlin.feeds.all()} == {"DACH Sales", "Nordics Sales"}
    assert all(t.manager_id for t in Team.objects.all())

    second = seed_demo(leads=150, seed=32, now=NOW)
    assert (second.users_created, second.campaigns_created) == (0, 0)
    assert (Team.objects.count(), User.objects.count()) == (len(TEAMS), len(PEOPLE))
    assert Lead.objects.count() == 300


@pytest.mark.django_db
def test_ctrl_c_keeps_whole_batches_only(monkeypatch: pytest.MonkeyPatch) -> None:
    play = simulation.Simulation.play
    calls = [0]

    def interrupted(self: simulation.Simulation, *args: Any) -> str:
        calls[0] += 1
        if calls[0] == 150:
            raise KeyboardInterrupt
        return play(self, *args)

    monkeypatch.setattr(simulation.Simulation, "play", interrupted)
    summary = seed_demo(leads=400, seed=41, now=NOW, batch=100)
    assert summary.interrupted
    assert summary.leads == 100
    assert Lead.objects.count() == 100
    assert not LeadEvent.objects.exclude(lead__in=Lead.objects.all()).exists()
    assert "Interrupted" in summary.lines()[0]


def test_business_axis_agrees_with_businesscal() -> None:
    """The seeder's fast business time is exact, DST changes and holidays included."""
    rng = random.Random(5)
    for tz, country in (("Europe/Berlin", "DE"), ("America/New_York", "US")):
        cal = standard_calendar(tz, country, start=time(8, 30), end=time(17, 30))
        axis = BusinessAxis(cal, date(2025, 1, 1), date(2026, 12, 31))
        start = axis.midnights[0]
        for _ in range(2000):
            ts = start + rng.randrange(0, 600 * 86_400)
            hours = rng.choice((1, 4, 12, 30, 100))
            expected = add_business_hours(cal, datetime.fromtimestamp(ts, UTC), hours)
            assert axis.add(ts, hours * 3600) == epoch(expected), (tz, ts, hours)
            assert axis.local_date(ts) == datetime.fromtimestamp(ts, axis.zone).date()
            days = rng.randint(1, 10)
            close = add_business_days(cal, datetime.fromtimestamp(ts, UTC), days)
            assert axis.in_business_day(ts, days, 1.0) == epoch(close), (tz, ts, days)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="writer threads run on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writer_threads_commit_batches_in_order() -> None:
    """Small batches, so duplicates often point into the batch before, written alongside."""
    summary = seed_demo(leads=3000, seed=51, now=NOW, batch=150)
    assert not summary.interrupted
    assert Lead.objects.count() == summary.leads == 3000
    assert Lead.objects.filter(stage="duplicate").exclude(duplicate_of=None).count() > 20
    assert Counter(dict(Lead.objects.values_list("stage").annotate(n=Count("id")))) == (
        summary.by_stage
    )
    with connection.cursor() as cur:
        for model in (Lead, LeadEvent, Activity, Handoff, SlaClock, Notification):
            table = model._meta.db_table
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cur.fetchone()[0]
            cur.execute(f"SELECT last_value FROM {sequence}")
            assert cur.fetchone()[0] == model.objects.aggregate(m=Max("id"))["m"], table
