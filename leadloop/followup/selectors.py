"""Reads of the follow-up: the sales inbox, cadence tasks, feedback owed, purgatory.

Every read starts from what the reader may see (`leads.selectors.visible_leads`
or her own tasks), and every count is one aggregate query: these pages must
stay fast with a million leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, When

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import managed_team_ids, users_with_role
from leadloop.followup import rules
from leadloop.followup.choices import (
    CadenceTrigger,
    PurgatoryReason,
    RunState,
    StepAction,
    TaskStatus,
)
from leadloop.followup.models import CadenceRun, CadenceTask, CadenceTemplate, PurgatoryFlag
from leadloop.followup.permissions import is_admin, may_edit_template, may_work_task
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import ReasonKind, Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import INSIDE_OPEN, OPEN_STAGES, SALES_OPEN
from leadloop.lib.businesscal import business_time_between
from leadloop.lib.zones import zone_named
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.sla.selectors import clock_state

# Clocks that hold sales to its feedback (DESIGN rule 5).
FEEDBACK_KINDS = (ClockKind.FEEDBACK, ClockKind.UPDATE)
PAGE_ROWS = 200
STATS_DAYS = 90
RECENT_DAYS = 90


def find_template(
    team_id: int | None, trigger: str = CadenceTrigger.NO_SHOW
) -> CadenceTemplate | None:
    """The team's own template, else the default one (the data migration creates it)."""
    qs = CadenceTemplate.objects.filter(trigger=trigger).prefetch_related("steps")
    found = qs.filter(team_id=team_id).first() if team_id is not None else None
    return found or qs.filter(team__isnull=True).first()


def template_for(team_id: int | None, trigger: str = CadenceTrigger.NO_SHOW) -> CadenceTemplate:
    found = find_template(team_id, trigger)
    if found is None:
        raise ValidationError(
            {"cadence": f"no {trigger} cadence template; an admin must create the default one"}
        )
    return found


# ---------------------------------------------------------------- the sales inbox


@dataclass(frozen=True)
class InboxItem:
    lead: Lead
    handoff: Handoff | None
    accept_clock: SlaClock | None
    accept_state: str
    accept_left: timedelta | None


def sales_inbox(user: User, now: datetime) -> list[InboxItem]:
    """Handoffs waiting for the reader's acceptance (a manager: her team's), oldest first."""
    leads = visible_leads(user).filter(stage=Stage.HANDED_OFF)
    if user.role == Role.SALES_REP:
        leads = leads.filter(sales_rep=user)
    rows = list(
        leads.select_related("campaign", "handed_off_by", "sales_rep", "sales_rep__team")
        .prefetch_related(
            Prefetch(
                "handoffs",
                queryset=Handoff.objects.select_related("from_rep", "definition").order_by(
                    "-created_at", "-id"
                ),
            ),
            Prefetch(
                "clocks",
                queryset=SlaClock.objects.filter(
                    kind=ClockKind.ACCEPT, stopped_at__isnull=True
                ).select_related("team"),
                to_attr="accept_clocks",
            ),
        )
        .order_by("handed_off_at", "pk")[:PAGE_ROWS]
    )
    items = []
    for lead in rows:
        handoffs = list(lead.handoffs.all())
        clocks: list[SlaClock] = getattr(lead, "accept_clocks", [])
        clock = clocks[0] if clocks else None
        left = (
            business_time_between(team_calendar(clock.team), now, clock.due_at) if clock else None
        )
        items.append(
            InboxItem(
                lead=lead,
                handoff=handoffs[0] if handoffs else None,
                accept_clock=clock,
                accept_state=clock_state(clock, now) if clock else "",
                accept_left=left,
            )
        )
    return items


def reject_reasons() -> QuerySet[ReasonCode]:
    return ReasonCode.objects.filter(kind=ReasonKind.REJECT, is_active=True)


# ---------------------------------------------------------------- cadence tasks


def visible_tasks(user: User) -> QuerySet[CadenceTask]:
    """Her own steps, and the steps on leads she may see (a manager: her team's)."""
    if is_admin(user) or user.role == Role.MARKETING:
        return CadenceTask.objects.all()
    if user.role == Role.SALES_REP:
        return CadenceTask.objects.filter(assignee=user)
    return CadenceTask.objects.filter(Q(assignee=user) | Q(lead__in=visible_leads(user)))


@dataclass(frozen=True)
class TaskStats:
    done: int = 0
    done_late: int = 0
    skipped: int = 0
    overdue: int = 0

    @property
    def late(self) -> int:
        return self.done_late + self.skipped + self.overdue


def task_stats(tasks: QuerySet[CadenceTask], now: datetime) -> dict[int | None, TaskStats]:
    """Per assignee over the last 90 days: done, done late, skipped, still open past due."""
    rows = (
        tasks.filter(due_at__gte=now - timedelta(days=STATS_DAYS), starts_at__lte=now)
        .order_by()
        .values("assignee_id")
        .annotate(
            done=Count("id", filter=Q(status=TaskStatus.DONE)),
            done_late=Count("id", filter=Q(status=TaskStatus.DONE, done_at__gt=F("due_at"))),
            skipped=Count("id", filter=Q(status=TaskStatus.SKIPPED)),
            overdue=Count("id", filter=Q(status=TaskStatus.PENDING, due_at__lt=now)),
        )
    )
    return {
        r["assignee_id"]: TaskStats(r["done"], r["done_late"], r["skipped"], r["overdue"])
        for r in rows
    }


@dataclass
class TaskBoard:
    meetings: list[Lead] = field(default_factory=list)
    overdue: list[CadenceTask] = field(default_factory=list)
    today: list[CadenceTask] = field(default_factory=list)
    upcoming: list[CadenceTask] = field(default_factory=list)
    finished: list[CadenceTask] = field(default_factory=list)
    stats: TaskStats = field(default_factory=TaskStats)
    assignees: list[User] = field(default_factory=list)
    suggestions: dict[int, datetime] = field(default_factory=dict)


def _task_rows(qs: QuerySet[CadenceTask]) -> QuerySet[CadenceTask]:
    return qs.select_related(
        "lead", "lead__sales_rep", "lead__sales_rep__team", "lead__handed_off_by", "assignee", "run"
    )


def task_board(user: User, now: datetime, *, assignee: int | None = None) -> TaskBoard:
    """The reader's open steps by urgency, what she finished lately, and her record."""
    tasks = visible_tasks(user)
    if assignee is not None:
        tasks = tasks.filter(assignee_id=assignee)
    pending = list(
        _task_rows(tasks.filter(status=TaskStatus.PENDING)).order_by("due_at", "position")[
            :PAGE_ROWS
        ]
    )
    board = TaskBoard()
    for task in pending:
        if task.due_at < now:
            board.overdue.append(task)
        elif task.starts_at <= now:
            board.today.append(task)
        else:
            board.upcoming.append(task)
    board.meetings = meetings_to_report(user, now)
    board.finished = list(
        _task_rows(
            tasks.exclude(status=TaskStatus.PENDING).filter(
                Q(done_at__gte=now - timedelta(days=RECENT_DAYS))
                | Q(ended_at__gte=now - timedelta(days=RECENT_DAYS))
            )
        ).order_by("-due_at", "-pk")[:PAGE_ROWS]
    )
    stats = task_stats(tasks, now)
    board.stats = TaskStats(
        sum(s.done for s in stats.values()),
        sum(s.done_late for s in stats.values()),
        sum(s.skipped for s in stats.values()),
        sum(s.overdue for s in stats.values()),
    )
    if user.role != Role.SALES_REP:
        board.assignees = list(
            User.objects.filter(pk__in=[k for k in stats if k is not None]).order_by(
                "first_name", "username"
            )
        )
    board.suggestions = invitation_suggestions(
        [t for t in pending if t.action == StepAction.INVITATION and t.starts_at <= now], now
    )
    with_scripts(pending)
    return board


def meetings_to_report(user: User, now: datetime) -> list[Lead]:
    """Meetings that took place and still wait for their outcome (held or no-show), and
    held meetings waiting for what came of them; the oldest first."""
    leads = visible_leads(user).filter(
        Q(stage=Stage.ACCEPTED, meeting_at__lte=now) | Q(stage=Stage.MEETING_HELD)
    )
    if user.role == Role.SALES_REP:
        leads = leads.filter(sales_rep=user)
    return list(
        leads.select_related("sales_rep", "sales_rep__team", "handed_off_by", "campaign").order_by(
            "meeting_at", "pk"
        )[:PAGE_ROWS]
    )


def invitation_suggestions(tasks: Iterable[CadenceTask], now: datetime) -> dict[int, datetime]:
    """A proposed time for each invitation step that can be done now (also set on the task
    as `suggested_at`, for the row that offers it)."""
    out: dict[int, datetime] = {}
    windows = dict(CadenceTemplate.objects.values_list("pk", "invite_window_days"))
    teams = {t.pk: t for t in Team.objects.all()}
    for task in tasks:
        team = teams.get(task.run.team_id)
        if team is None:
            continue
        window = windows.get(task.run.template_id or 0, 5)
        # At the missed meeting's time of day (the cadence itself counts from the day
        # the no-show was recorded).
        missed = task.lead.meeting_at or task.run.anchor_at
        out[task.pk] = rules.suggest_proposal(team_calendar(team), now, missed, window)
        task.suggested_at = out[task.pk]  # type: ignore[attr-defined]
    return out


def with_scripts(tasks: Iterable[CadenceTask]) -> None:
    """Set each step's `script`: its text as the rep will say or send it, the placeholders
    filled for this prospect, this rep and the missed meeting, on the sales team's clock."""
    zones: dict[int, ZoneInfo] = {}
    for task in tasks:
        team_id = task.run.team_id
        if team_id not in zones:
            team = Team.objects.filter(pk=team_id).only("timezone").first()
            zones[team_id] = zone_named(team.timezone if team else None)
        lead, rep = task.lead, task.assignee
        values = rules.placeholders(
            first_name=lead.first_name,
            last_name=lead.last_name,
            company=lead.company,
            rep_name=str(rep) if rep is not None else "your sales rep",
            meeting=lead.meeting_at or task.run.anchor_at,
            proposed=getattr(task, "suggested_at", None),
            zone=zones[team_id],
        )
        task.script = rules.fill(task.text, values)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the lead page


@dataclass
class LeadFollowup:
    lead: Lead
    run: CadenceRun | None
    tasks: list[CadenceTask]
    earlier_runs: int
    can_work: bool
    can_rebook: bool
    purgatory: list[str]
    suggestions: dict[int, datetime]
    now: datetime


def lead_followup(lead: Lead, now: datetime, user: User | None = None) -> LeadFollowup | None:
    """The lead's latest cadence with its steps, and whether it sits in purgatory."""
    runs = list(CadenceRun.objects.filter(lead=lead).order_by("-started_at", "-pk")[:1])
    run = runs[0] if runs else None
    earlier = CadenceRun.objects.filter(lead=lead).count() - 1 if run else 0
    reasons = (
        [
            str(PurgatoryReason(reason).label)
            for reason, leads in purgatory_candidates(now).items()
            if leads.filter(pk=lead.pk).exists()
        ]
        if lead.stage in OPEN_STAGES
        else []
    )
    if run is None and not reasons:
        return None
    tasks: list[CadenceTask] = []
    if run is not None:
        tasks = list(run.tasks.select_related("done_by", "assignee").order_by("position"))
        for t in tasks:
            t.lead, t.run = lead, run
    can_work = bool(
        user is not None
        and run is not None
        and run.state == RunState.RUNNING
        and may_work_task(user, lead)
    )
    pending_invites = [
        t
        for t in tasks
        if t.action == StepAction.INVITATION
        and t.status == TaskStatus.PENDING
        and t.starts_at <= now
    ]
    followup = LeadFollowup(
        lead=lead,
        run=run,
        tasks=tasks,
        earlier_runs=max(earlier, 0),
        can_work=can_work,
        can_rebook=bool(
            user is not None and lead.stage == Stage.NO_SHOW and may_work_task(user, lead)
        ),
        purgatory=reasons,
        suggestions=invitation_suggestions(pending_invites, now) if can_work else {},
        now=now,
    )
    with_scripts(tasks)
    return followup


# ---------------------------------------------------------------- feedback owed


def overdue_feedback(now: datetime) -> Q:
    """An open feedback or update clock past its due time (breached, or about to be)."""
    return Q(kind__in=FEEDBACK_KINDS, stopped_at__isnull=True) & (
        Q(result=ClockResult.BREACHED) | Q(due_at__lte=now)
    )


@dataclass(frozen=True)
class RepDebt:
    rep: User | None
    overdue: int
    feedback: int
    update: int
    owed: int
    oldest_due: datetime | None
    tasks: TaskStats


@dataclass(frozen=True)
class OwedRow:
    clock: SlaClock
    lead: Lead
    overdue_by: timedelta  # business time
    days_overdue: int  # calendar days, for what is long overdue


@dataclass
class FeedbackOwed:
    reps: list[RepDebt]
    rows: list[OwedRow]
    total: int


def feedback_owed(user: User, now: datetime, *, rep: int | None = None) -> FeedbackOwed:
    """Per sales rep: outcomes and updates owed past their SLA, worst first (DESIGN rule 5)."""
    leads = visible_leads(user)
    if rep is not None:
        leads = leads.filter(sales_rep_id=rep)
    clocks = SlaClock.objects.filter(lead__in=leads.values("pk"))
    per_rep: dict[int | None, dict[str, Any]] = {
        r["lead__sales_rep"]: dict(r)
        for r in clocks.filter(kind__in=FEEDBACK_KINDS, stopped_at__isnull=True)
        .order_by()
        .values("lead__sales_rep")
        .annotate(
            owed=Count("id"),
            overdue=Count("id", filter=overdue_feedback(now)),
            feedback=Count("id", filter=overdue_feedback(now) & Q(kind=ClockKind.FEEDBACK)),
            update=Count("id", filter=overdue_feedback(now) & Q(kind=ClockKind.UPDATE)),
            oldest=Min("due_at", filter=overdue_feedback(now)),
        )
    }
    rep_ids = {k for k in per_rep if k is not None}
    if user.role == Role.MANAGER and rep is None:
        rep_ids |= set(
            users_with_role(Role.SALES_REP)
            .filter(team_id__in=managed_team_ids(user), is_active=True)
            .values_list("pk", flat=True)
        )
    elif user.role == Role.SALES_REP:
        rep_ids = {user.pk}
    if rep is not None:
        rep_ids &= {rep}
    users = {u.pk: u for u in User.objects.filter(pk__in=rep_ids)}
    stats = task_stats(visible_tasks(user), now)
    reps = []
    for pk in list(users) + ([None] if None in per_rep and rep is None else []):
        r = per_rep.get(pk) or {}
        reps.append(
            RepDebt(
                rep=users.get(pk) if pk is not None else None,
                overdue=r.get("overdue", 0),
                feedback=r.get("feedback", 0),
                update=r.get("update", 0),
                owed=r.get("owed", 0),
                oldest_due=r.get("oldest"),
                tasks=stats.get(pk, TaskStats()),
            )
        )
    reps.sort(key=lambda d: (-d.overdue, d.oldest_due or now, str(d.rep or "")))
    overdue = clocks.filter(overdue_feedback(now))
    rows = [
        OwedRow(
            clock=c,
            lead=c.lead,
            overdue_by=business_time_between(team_calendar(c.team), c.due_at, now),
            days_overdue=(now - c.due_at).days,
        )
        for c in overdue.select_related(
            "team", "lead", "lead__sales_rep", "lead__handed_off_by", "lead__campaign"
        ).order_by("due_at", "pk")[:PAGE_ROWS]
    ]
    return FeedbackOwed(reps=reps, rows=rows, total=sum(d.overdue for d in reps))


@dataclass
class MyDebt:
    """What a sales rep owes, for the top of her home page."""

    feedback: list[OwedRow]
    feedback_total: int
    tasks_due: int
    tasks_late: int
    purgatory: int
    inbox: int

    @property
    def anything(self) -> bool:
        return bool(
            self.feedback_total or self.tasks_due or self.tasks_late or self.purgatory or self.inbox
        )


def my_debt(user: User, now: datetime) -> MyDebt:
    owed = feedback_owed(user, now, rep=user.pk)
    mine = CadenceTask.objects.filter(assignee=user, status=TaskStatus.PENDING)
    in_purgatory = sum(
        leads.filter(sales_rep=user).count() for leads in purgatory_candidates(now).values()
    )
    return MyDebt(
        feedback=owed.rows[:10],
        feedback_total=owed.total,
        tasks_due=mine.filter(starts_at__lte=now).count(),
        tasks_late=mine.filter(due_at__lt=now).count(),
        purgatory=in_purgatory,
        inbox=Lead.objects.filter(sales_rep=user, stage=Stage.HANDED_OFF).count(),
    )


@dataclass
class TeamDebt:
    """Counts for a manager's home: feedback owed and purgatory in her teams."""

    feedback_overdue: int
    purgatory: int
    tasks_late: int
    # The same count as it stood a week before (for the trend on her home).
    feedback_overdue_week_ago: int = 0


def overdue_feedback_at(moment: datetime) -> Q:
    """A feedback or update clock that was open and past due at `moment`, judged from
    the clock's own record (started, due, stopped), so any past instant can be asked."""
    return Q(kind__in=FEEDBACK_KINDS, started_at__lte=moment, due_at__lte=moment) & (
        Q(stopped_at__isnull=True) | Q(stopped_at__gt=moment)
    )


def team_debt(user: User, now: datetime) -> TeamDebt:
    leads = visible_leads(user)
    week_ago = now - timedelta(days=7)
    feedback = SlaClock.objects.filter(lead__in=leads.values("pk")).aggregate(
        now=Count("id", filter=overdue_feedback(now)),
        week_ago=Count("id", filter=overdue_feedback_at(week_ago)),
    )
    return TeamDebt(
        feedback_overdue=feedback["now"],
        feedback_overdue_week_ago=feedback["week_ago"],
        purgatory=sum(
            c.filter(pk__in=leads.values("pk")).count() for c in purgatory_candidates(now).values()
        ),
        tasks_late=visible_tasks(user).filter(status=TaskStatus.PENDING, due_at__lt=now).count(),
    )


# ---------------------------------------------------------------- purgatory


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def touch_overdue(now: datetime) -> Q:
    """A nurture lead whose next touch date has passed on its sales team's calendar,
    with no activity logged since that date."""
    default = settings.LEADLOOP_DEFAULT_TIMEZONE
    past = Q(pk__in=[])
    for name in set(Team.objects.values_list("timezone", flat=True)) | {default}:
        zone = _zone(name)
        if zone is None:
            continue
        today = now.astimezone(zone).date()
        past |= Q(sales_rep__team__timezone=name, next_touch_on__lt=today)
        if name == default:
            past |= Q(sales_rep__team__isnull=True, next_touch_on__lt=today)
    idle = Q(last_activity_at__isnull=True) | Q(last_activity_at__date__lt=F("next_touch_on"))
    return Q(stage=Stage.NURTURE) & past & idle


def purgatory_conditions(now: datetime) -> dict[str, Q]:
    """Seed 004's purgatory, per reason, as filters on Lead."""
    return {
        PurgatoryReason.NO_NEXT_TOUCH: Q(stage=Stage.NURTURE, next_touch_on__isnull=True),
        PurgatoryReason.TOUCH_OVERDUE: touch_overdue(now),
        PurgatoryReason.NO_OWNER: (
            Q(stage__in=INSIDE_OPEN) & (Q(owner__isnull=True) | Q(owner__is_active=False))
        )
        | (Q(stage__in=SALES_OPEN) & (Q(sales_rep__isnull=True) | Q(sales_rep__is_active=False))),
    }


def purgatory_candidates(now: datetime) -> dict[str, QuerySet[Lead]]:
    """The leads in purgatory per reason."""
    return {reason: Lead.objects.filter(q) for reason, q in purgatory_conditions(now).items()}


def flag_owner() -> Case:
    """Who owns a lead: the sales rep while sales has it, else the inside rep."""
    return Case(When(Q(stage__in=SALES_OPEN), then=F("sales_rep_id")), default=F("owner_id"))


def flag_manager() -> Case:
    """Who hears of it besides: the sales rep's manager while sales has it, else the team's."""
    return Case(
        When(
            Q(stage__in=SALES_OPEN) & Q(sales_rep__team__manager__isnull=False),
            then=F("sales_rep__team__manager_id"),
        ),
        default=F("team__manager_id"),
    )


@dataclass(frozen=True)
class PurgatoryRow:
    lead: Lead
    reason: str
    label: str
    flagged_at: datetime | None


@dataclass
class Purgatory:
    rows: list[PurgatoryRow]
    counts: list[tuple[str, str, int]]
    total: int


def purgatory(user: User, now: datetime, *, reason: str | None = None) -> Purgatory:
    """The reader's leads in purgatory, oldest flag first, with counts per reason."""
    visible = visible_leads(user).values("pk")
    rows: list[PurgatoryRow] = []
    counts = []
    for key, leads in purgatory_candidates(now).items():
        mine = leads.filter(pk__in=visible)
        n = mine.count()
        counts.append((key, str(PurgatoryReason(key).label), n))
        if reason and reason != key:
            continue
        flagged = PurgatoryFlag.objects.filter(
            lead=OuterRef("pk"), reason=key, cleared_at__isnull=True
        ).values("flagged_at")[:1]
        for lead in (
            mine.annotate(flagged_at=Subquery(flagged))
            .select_related("owner", "sales_rep", "sales_rep__team", "team", "campaign")
            .order_by(F("flagged_at").asc(nulls_last=True), "next_touch_on", "pk")[:PAGE_ROWS]
        ):
            rows.append(PurgatoryRow(lead, key, str(PurgatoryReason(key).label), lead.flagged_at))
    return Purgatory(rows=rows, counts=counts, total=sum(n for _, _, n in counts))


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateView:
    template: CadenceTemplate
    editable: bool
    running: int


def cadence_templates(user: User) -> list[TemplateView]:
    """The default and the teams' own templates the reader may see (admin: all)."""
    qs = CadenceTemplate.objects.select_related("team", "updated_by").prefetch_related("steps")
    if not is_admin(user):
        qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=managed_team_ids(user)))
    running = dict(
        CadenceRun.objects.filter(state=RunState.RUNNING)
        .order_by()
        .values_list("template_id")
        .annotate(n=Count("id"))
    )
    return [TemplateView(t, may_edit_template(user, t), running.get(t.pk, 0)) for t in qs]


def teams_to_customize(user: User) -> list[Team]:
    """Sales teams the reader manages that still use the default cadence."""
    teams = Team.objects.filter(kind=TeamKind.SALES).exclude(cadence_templates__isnull=False)
    if not is_admin(user):
        teams = teams.filter(pk__in=managed_team_ids(user))
    return list(teams.order_by("name"))
