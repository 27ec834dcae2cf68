"""One batch of an import: who each row is, what it becomes, written in a few statements.

A batch is a few thousand prepared rows and one transaction. Matching is
set-based: the rows' identity keys go into a temporary staging table and
one query joins it against every lead by email, E.164 phone and person at
company (the intake rules), another against the journal of imported rows.
What each row becomes is then decided in memory, in file order, and
written with one COPY per table: leads, events, clocks, the journal. Per
row there is no query at all.

What a row becomes:

* the same row imported before (this file or another): nothing, "unchanged";
* the person has an open lead (in the database or earlier in the file): a
  duplicate, recorded on that lead as submitted again (and, when asked,
  its empty fields filled from the row);
* an open row (new, working, ...) of a person whose leads are all closed:
  a returning prospect, a new inquiry linked to her latest closed lead,
  whose producer is told, as at intake ("reopened");
* anything else: a new lead. An open one is assigned (the file's owner if
  she is an active inside rep of the team, else territory and round robin)
  and clocked from now, like intake; a closed one (won, lost, disqualified,
  ...) keeps its own dates, has no clock and tells nobody: it is history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.campaigns.channels import channel_for_source
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.selectors import policy_for
from leadloop.campaigns.services import create_campaign
from leadloop.imports.models import ImportedRow, ImportProblem, LeadImport, RowOutcome
from leadloop.leads import states
from leadloop.leads.choices import Action, EventKind, ReasonKind, Stage
from leadloop.leads.models import Lead, LeadEvent, LeadScore, ReasonCode
from leadloop.leads.person import PERSON_FIELDS, clean_lead_fields
from leadloop.lifecycle import bulk, events
from leadloop.lifecycle.import_rows import Prepared, Problem
from leadloop.lifecycle.scoring import SCORE_COLUMNS, score_values
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.services import Note, write
from leadloop.scoring.rules import Engagement, lead_features
from leadloop.scoring.selectors import active_model
from leadloop.sla import rules as sla_rules
from leadloop.sla.choices import INSIDE_KINDS, ClockKind, ClockResult
from leadloop.sla.models import SlaClock

# The action whose event a history row carries, so reports that count moves
# (disqualifications by reason, wins, ...) see a team's past.
STAGE_ACTION: Mapping[str, str] = {
    Stage.WORKING: Action.START_WORK,
    Stage.UNREACHABLE: Action.MARK_UNREACHABLE,
    Stage.DISQUALIFIED: Action.DISQUALIFY,
    Stage.NURTURE: Action.NURTURE,
    Stage.OPPORTUNITY: Action.OPEN_OPPORTUNITY,
    Stage.WON: Action.WIN,
    Stage.LOST: Action.LOSE,
    Stage.DISQUALIFIED_BY_SALES: Action.DISQUALIFY,
}
# Which reasons a closed-negative stage is coded with.
STAGE_REASON_KIND: Mapping[str, str] = {
    Stage.DISQUALIFIED: ReasonKind.DISQUALIFY,
    Stage.DISQUALIFIED_BY_SALES: ReasonKind.DISQUALIFY,
    Stage.LOST: ReasonKind.LOSE,
    Stage.UNREACHABLE: ReasonKind.UNREACHABLE,
}
NOT_RECORDED = "not_recorded"
INSIDE_STAGES = frozenset({Stage.NEW, Stage.WORKING})

LEAD_COLUMNS = [f.attname for f in Lead._meta.concrete_fields]
EVENT_COLUMNS = [
    "id",
    "lead_id",
    "kind",
    "action",
    "at",
    "actor_id",
    "from_stage",
    "to_stage",
    "reason_code_id",
    "data",
]
CLOCK_COLUMNS = ["lead_id", "kind", "team_id", "user_id", "started_at", "due_at", "warn_at"]
CLOCK_COLUMNS += ["result", "stopped_by"]
JOURNAL_COLUMNS = ["lead_import_id", "line", "fingerprint", "outcome", "lead_id"]
PROBLEM_COLUMNS = ["lead_import_id", "dry_run", "line", "column", "message", "cells"]


@dataclass
class Tally:
    created: int = 0
    reopened: int = 0
    duplicates: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Problems past what is kept (a dry run of a very bad file): counted only.
    dropped: int = 0
    # Values the file named that are no one in leadloop: the wizard and the
    # summary show them so an owners mapping can fix them.
    unknown_people: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        names = ("created", "reopened", "duplicates", "updated", "unchanged", "skipped", "dropped")
        for name in names:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)
        for who, n in other.unknown_people.items():
            self.unknown_people[who] = self.unknown_people.get(who, 0) + n


@dataclass(frozen=True)
class Person:
    id: int
    role: str | None
    team_id: int | None
    is_active: bool


@dataclass
class Known:
    """A lead a row may match: found in the database or made earlier in this batch."""

    id: int
    stage: str
    created_at: datetime
    producer: int | None

    @property
    def is_open(self) -> bool:
        return self.stage in states.OPEN_STAGES


class Rotation:
    """Round robin over a team's active inside reps, longest-waiting first (as at intake)."""

    def __init__(self, team: Team) -> None:
        reps = (
            User.objects.filter(groups__name=Role.INSIDE_REP, team=team, is_active=True)
            .select_for_update(of=("self",))
            .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
        )
        self.order = [r.pk for r in reps]
        self.active = set(self.order)
        self.next = 0
        self.used: list[int] = []
        self.territory: dict[tuple[str, str], int] = {
            (t.country, t.region): t.rep_id
            for t in TerritoryRule.objects.filter(team=team, rep__is_active=True)
        }

    def pick(self, country: str, region: str) -> int | None:
        rep = self.territory.get((country, region)) or self.territory.get((country, ""))
        if rep is None and self.order:
            rep = self.order[self.next % len(self.order)]
            self.next += 1
        if rep is not None:
            self.used.append(rep)
        return rep

    def mark(self, now: datetime) -> None:
        """Each rep's last assignment, in the order they got their last lead (ties by order)."""
        last: dict[int, int] = {}
        for i, rep in enumerate(self.used):
            last[rep] = i
        for rep, i in last.items():
            User.objects.filter(pk=rep).update(
                last_assigned_at=now + timedelta(microseconds=i - len(self.used))
            )
        self.used.clear()
        # The next batch carries on from where this one stopped.
        self.order = sorted(self.order, key=lambda r: (r in last, last.get(r, -1)))
        self.next = 0


class Context:
    """What an import resolves once and every batch reuses: campaigns, people, reasons."""

    def __init__(
        self,
        *,
        lead_import: LeadImport,
        actor: User | None,
        now: datetime,
        campaign: Campaign,
        team: Team | None,
        channel: str,
        dry_run: bool,
    ) -> None:
        self.lead_import = lead_import
        self.actor = actor
        self.now = now
        self.campaign = campaign
        self.team = team
        self.channel = channel
        self.dry_run = dry_run
        self.update = lead_import.update_existing
        self.campaigns: dict[str, Campaign] = {campaign.name.casefold(): campaign}
        self.policies: dict[int, SourcePolicy] = {}
        self.teams: dict[int, Team] = {}
        self.due: dict[tuple[str, int, int], tuple[datetime, datetime]] = {}
        self.rotations: dict[int, Rotation] = {}
        self.people = _people()
        self.reasons = _reasons()
        # Every row is scored in memory with the model active when the import runs.
        self.scoring_model = active_model()
        # The file's column a lead field came from, for problems (set by the run).
        self.column_of: Callable[[str], str] = lambda name: name

    def campaign_for(self, name: str) -> Campaign:
        if not name:
            return self.campaign
        found = self.campaigns.get(name.casefold())
        if found is None:
            found = Campaign.objects.filter(name__iexact=name).first()
            if found is None:
                found = create_campaign(
                    name=name[:160],
                    channel=channel_for_source(name, default=self.channel),
                    team=self.team or self.campaign.team,
                )
            self.campaigns[name.casefold()] = found
        return found

    def policy(self, campaign: Campaign) -> SourcePolicy:
        if campaign.pk not in self.policies:
            self.policies[campaign.pk] = policy_for(campaign)
        return self.policies[campaign.pk]

    def team_of(self, team_id: int) -> Team:
        if team_id not in self.teams:
            self.teams[team_id] = Team.objects.get(pk=team_id)
        return self.teams[team_id]

    def clock_times(self, kind: str, team_id: int, campaign: Campaign) -> tuple[datetime, datetime]:
        """Due and warn times of a clock starting now: the same for every row of a campaign."""
        key = (kind, team_id, campaign.pk)
        if key not in self.due:
            cal = team_calendar(self.team_of(team_id))
            due = sla_rules.due_at(kind, self.policy(campaign), cal, self.now)
            self.due[key] = (due, sla_rules.warn_at(kind, cal, self.now, due))
        return self.due[key]

    def zone(self) -> ZoneInfo:
        """Times without a zone in the file are the team's local time."""
        team = self.team or self.campaign.team
        try:
            return ZoneInfo(team.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def rotation(self, team_id: int) -> Rotation:
        if team_id not in self.rotations:
            self.rotations[team_id] = Rotation(self.team_of(team_id))
        return self.rotations[team_id]

    def person(self, ref: str) -> Person | None:
        return self.people.get(ref.casefold()) if ref else None


def _people() -> dict[str, Person]:
    """Everyone, by user name, email and full name (lower case): a file names people so."""
    roles: dict[int, str] = {}
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        if name in Role.values and (user_id not in roles or name == Role.ADMIN):
            roles[user_id] = name
    found: dict[str, Person] = {}
    for u in User.objects.only("id", "username", "email", "first_name", "last_name", "team_id"):
        person = Person(u.pk, roles.get(u.pk), u.team_id, u.is_active)
        for ref in (u.get_full_name(), u.email, u.username):
            if ref:
                found[ref.casefold()] = person
    return found


def _reasons() -> dict[tuple[str, str], int]:
    """Reason codes by (kind, code) and (kind, label), lower case."""
    found: dict[tuple[str, str], int] = {}
    for r in ReasonCode.objects.all():
        found[(r.kind, r.label.casefold())] = r.pk
        found[(r.kind, r.code.casefold())] = r.pk
    return found


def process(
    ctx: Context,
    rows: Sequence[Prepared],
    problems: Iterable[Problem],
    cells: Mapping[int, Sequence[str]],
    *,
    skipped: int = 0,
) -> Tally:
    """Decide and write one batch; the caller holds the transaction.

    `skipped` rows were left out on purpose (a stage the mapping skips).

    `cells` are the file's cells of the rows with problems (for the error file).
    """
    tally = Tally(problems=list(problems))
    rows = [r for r in rows if _resolve(ctx, r, tally)]
    found, seen = _match(rows, ctx.lead_import.pk)
    plan = _Plan(ctx, len(rows))
    for row in rows:
        if row.fingerprint in seen:
            tally.unchanged += 1
            continue
        plan.take(row, found.get(row.line, []), tally)
    plan.write(tally)
    tally.skipped += len({p.line for p in tally.problems}) + skipped
    if not ctx.dry_run:
        write_problems(ctx.lead_import, tally.problems, cells, dry_run=False)
    return tally


def _resolve(ctx: Context, row: Prepared, tally: Tally) -> bool:
    """Campaign, people and reason of a row; False (with a problem) when it cannot be imported."""
    campaign = ctx.campaign_for(row.campaign)
    team_id = ctx.team.pk if ctx.team is not None else campaign.team_id
    owner = ctx.person(row.owner)
    sales_rep = ctx.person(row.sales_rep)
    for ref, who in ((row.owner, owner), (row.sales_rep, sales_rep)):
        if ref and who is None:
            tally.unknown_people[ref] = tally.unknown_people.get(ref, 0) + 1
    if sales_rep is None and owner is not None and owner.role == Role.SALES_REP:
        sales_rep = owner
    stage = row.stage
    if row.created_at is not None and row.created_at > ctx.now:
        tally.problems.append(Problem(row.line, ctx.column_of("created_at"), "is in the future"))
        return False
    if stage in states.SALES_OPEN and sales_rep is None:
        tally.problems.append(
            Problem(
                row.line,
                ctx.column_of("stage"),
                f"a lead in stage '{stage}' needs a sales rep: map a column to sales_rep, or "
                "the owners to leadloop sales reps",
            )
        )
        return False
    reason_id = None
    kind = STAGE_REASON_KIND.get(stage)
    if kind is not None:
        reason_id = ctx.reasons.get((kind, row.reason.casefold())) if row.reason else None
        if reason_id is None:
            reason_id = ctx.reasons.get((kind, NOT_RECORDED))
    row.extra = {
        "campaign": campaign,
        "team_id": team_id,
        "owner": owner,
        "sales_rep": sales_rep,
        "reason_id": reason_id,
    }
    return True


def _staging_table() -> str:
    """A per-connection temporary table for a batch's keys (emptied before each batch)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS leadloop_import_keys ("
            "line integer NOT NULL, email_key varchar(254) NOT NULL, "
            "phone_key varchar(20) NOT NULL, person_key varchar(320) NOT NULL, "
            "fingerprint varchar(32) NOT NULL)"
        )
        cur.execute("DELETE FROM leadloop_import_keys")
    return "leadloop_import_keys"


def _match(rows: Sequence[Prepared], import_id: int) -> tuple[dict[int, list[Known]], set[str]]:
    """The leads each row's keys match (duplicates aside); fingerprints already imported."""
    if not rows:
        return {}, set()
    table = _staging_table()
    bulk.insert_raw(
        table,
        ["line", "email_key", "phone_key", "person_key", "fingerprint"],
        ((r.line, *r.keys, r.fingerprint) for r in rows),
    )
    lead = connection.ops.quote_name(Lead._meta.db_table)
    journal = connection.ops.quote_name(ImportedRow._meta.db_table)
    joins = " UNION ".join(
        f"SELECT s.line, l.id, l.stage, l.created_at, "  # noqa: S608 (names, not values)
        f"COALESCE(l.handed_off_by_id, l.owner_id) FROM {table} s "
        # `l.key <> ''` too: the partial index on the phone key holds no blank one.
        f"JOIN {lead} l ON l.{key} = s.{key} WHERE s.{key} <> '' AND l.{key} <> '' "
        "AND l.stage <> %s"
        for key in ("email_key", "phone_key", "person_key")
    )
    found: dict[int, list[Known]] = defaultdict(list)
    with connection.cursor() as cur:
        cur.execute(joins, [Stage.DUPLICATE] * 3)
        for line, lead_id, stage, created_at, producer in cur.fetchall():
            found[line].append(Known(lead_id, stage, _aware(created_at), producer))
        # Rows of other imports only: within one file a repeated row is a duplicate
        # like any other (and a resumed import never reads its committed lines again).
        cur.execute(
            f"SELECT DISTINCT s.fingerprint FROM {table} s "  # noqa: S608
            f"JOIN {journal} j ON j.fingerprint = s.fingerprint WHERE j.lead_import_id <> %s",
            [import_id],
        )
        seen = {fp for (fp,) in cur.fetchall()}
    return found, seen


def _aware(moment: Any) -> datetime:
    """A created_at as the raw query gives it (SQLite: Django's naive UTC text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_AT = {name: i for i, name in enumerate(LEAD_COLUMNS)}
_PERSON_COLUMNS = [
    (name, _AT[name]) for name in (*PERSON_FIELDS, "email_key", "phone_key", "person_key")
]


# The clocks each stage starts, in a fixed order.
_CLOCKS = {stage: sorted(sla_rules.clocks_for(stage)) for stage in Stage.values}


def _lead_template() -> list[Any]:
    """A lead row of defaults, as the database driver takes them (JSON as text)."""
    row: list[Any] = []
    for f in Lead._meta.concrete_fields:
        value = None if f.primary_key else f.get_default()
        if f.get_internal_type() == "JSONField":
            value = bulk.db_json(value)
        row.append(value)
    return row


class _Plan:
    """The batch's decisions, row by row in file order, and the rows they write."""

    def __init__(self, ctx: Context, size: int) -> None:
        self.ctx = ctx
        self.ids = iter(bulk.allocate_ids(Lead, size))
        self.template = _lead_template()
        self.t = bulk.time_adapter()
        self.actor_id = ctx.actor.pk if ctx.actor is not None else None
        self.leads: list[list[Any]] = []
        self.scores: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.clocks: list[tuple[Any, ...]] = []
        self.journal: list[tuple[Any, ...]] = []
        self.notes: list[Note] = []
        self.known: dict[tuple[int, str], Known] = {}
        self.made: set[int] = set()
        self.fills: dict[int, dict[str, Any]] = {}
        self.fill_lines: dict[int, list[int]] = defaultdict(list)
        imp = ctx.lead_import
        self.origin = {"import": imp.pk, "file": imp.file_name}

    def take(self, row: Prepared, matches: list[Known], tally: Tally) -> None:
        candidates = list(matches)
        for i, key in enumerate(row.keys):
            if key and (i, key) in self.known:
                candidates.append(self.known[(i, key)])
        open_ = min(
            (c for c in candidates if c.is_open), key=lambda c: (c.created_at, c.id), default=None
        )
        if open_ is not None:
            self._duplicate(row, open_, tally)
            return
        closed = max(
            (c for c in candidates if not c.is_open),
            key=lambda c: (c.created_at, c.id),
            default=None,
        )
        returning = closed is not None and row.stage in states.OPEN_STAGES
        if returning:
            tally.reopened += 1
        else:
            tally.created += 1
            # A history row links to the person's earlier closed lead, if there is one.
            created = row.created_at or self.ctx.now
            if closed is not None and closed.created_at >= created:
                closed = None
        self._new_lead(row, closed, RowOutcome.REOPENED if returning else RowOutcome.CREATED)

    def _duplicate(self, row: Prepared, lead: Known, tally: Tally) -> None:
        tally.duplicates += 1
        ctx = self.ctx
        submitted = {
            k: v for k, v in row.person.items() if k in PERSON_FIELDS and v not in ("", None)
        }
        campaign: Campaign = row.extra["campaign"]
        self._event(
            lead.id,
            EventKind.SUBMITTED_AGAIN,
            ctx.now,
            {"campaign": campaign.pk, "submitted": submitted, **self.origin, "line": row.line},
        )
        outcome = RowOutcome.DUPLICATE
        if ctx.update and lead.id not in self.made:
            fill = self.fills.setdefault(lead.id, {})
            for name in PERSON_FIELDS:
                value = row.person.get(name)
                if value not in ("", None) and name not in fill:
                    fill[name] = value
            self.fill_lines[lead.id].append(row.line)
        self.journal.append((self.ctx.lead_import.pk, row.line, row.fingerprint, outcome, lead.id))

    def _new_lead(self, row: Prepared, previous: Known | None, outcome: str) -> None:
        ctx, now = self.ctx, self.ctx.now
        lead_id = next(self.ids)
        self.made.add(lead_id)
        campaign: Campaign = row.extra["campaign"]
        team_id: int = row.extra["team_id"]
        policy = ctx.policy(campaign)
        stage = row.stage
        is_open = stage in states.OPEN_STAGES
        created_at = row.created_at or now
        owner = self._owner(row, team_id)
        sales_rep: Person | None = row.extra["sales_rep"]
        sales_rep_id = sales_rep.id if sales_rep is not None else None
        t = self.t
        lead = self.template.copy()
        person = row.person
        for name, at in _PERSON_COLUMNS:
            lead[at] = person[name]
        attributes = person.get("attributes")
        if attributes:
            lead[_AT["attributes"]] = bulk.db_json(attributes)
        lead[_AT["id"]] = lead_id
        lead[_AT["campaign_id"]] = campaign.pk
        lead[_AT["team_id"]] = team_id
        lead[_AT["stage"]] = stage
        lead[_AT["owner_id"]] = owner
        lead[_AT["sales_rep_id"]] = sales_rep_id
        lead[_AT["previous_lead_id"]] = previous.id if previous is not None else None
        lead[_AT["reason_code_id"]] = row.extra["reason_id"]
        lead[_AT["priority"]] = policy.priority
        lead[_AT["created_at"]] = t(created_at)
        lead[_AT["updated_at"]] = t(now)
        lead[_AT["stage_changed_at"]] = t(now if is_open else created_at)
        lead[_AT["closed_at"]] = None if is_open else t(created_at)
        if ctx.scoring_model is not None:
            arrival = {**person, "campaign": campaign.name, "channel": campaign.channel}
            scores, lines = score_values(
                ctx.scoring_model, lead_features(arrival), Engagement(), now
            )
            scores["scored_at"] = t(scores["scored_at"])
            self.scores.append(
                (lead_id, *(scores[name] for name in SCORE_COLUMNS), bulk.db_json(lines))
            )
        for kind in _CLOCKS[stage]:
            inside = kind in INSIDE_KINDS
            clock_team = team_id
            if not inside and sales_rep is not None and sales_rep.team_id is not None:
                clock_team = sales_rep.team_id
            due, warn = ctx.clock_times(kind, clock_team, campaign)
            user = owner if inside else sales_rep_id
            self.clocks.append(
                (lead_id, kind, clock_team, user, t(now), t(due), t(warn), ClockResult.RUNNING, "")
            )
            if kind == ClockKind.FIRST_CONTACT:
                lead[_AT["first_contact_due"]] = t(due)
            elif kind == ClockKind.CONCLUDE:
                lead[_AT["conclude_due"]] = t(due)
        self.leads.append(lead)
        action = STAGE_ACTION.get(stage)
        if action is not None:
            # The move that put the lead where the file says, at the time it says.
            history: dict[str, Any] = {"imported": ctx.lead_import.pk}
            if row.reason and row.extra["reason_id"] is not None:
                history["reason_in_file"] = row.reason
            self._event(
                lead_id,
                EventKind.TRANSITION,
                created_at,
                history,
                action=action,
                from_stage=Stage.NEW,
                to_stage=stage,
                reason_code_id=row.extra["reason_id"],
            )
        imported: dict[str, Any] = {
            **self.origin,
            "line": row.line,
            "campaign": campaign.pk,
            "channel": campaign.channel,
        }
        if previous is not None:
            imported["previous_lead"] = previous.id
        if row.note:
            imported["note"] = row.note
        if row.owner and row.extra["owner"] is None:
            imported["owner_in_file"] = row.owner
        if stage in INSIDE_STAGES:
            # Assigned as at intake; said in the imported event itself (one event per
            # lead, not two, for a hundred thousand leads).
            imported["owner"] = owner
            named = row.extra["owner"]
            imported["why"] = (
                "owner in the file"
                if named is not None and named.id == owner
                else events.NO_REP
                if owner is None
                else "territory or round robin"
            )
        self._event(lead_id, EventKind.IMPORTED, now, imported, to_stage=stage)
        if outcome == RowOutcome.REOPENED and previous is not None:
            self._event(
                previous.id, EventKind.RETURNED, now, {"new_lead": lead_id, "campaign": campaign.pk}
            )
            actor = ctx.actor.pk if ctx.actor is not None else None
            if previous.producer is not None and previous.producer != actor:
                self.notes.append(
                    Note(
                        previous.producer,
                        NotificationKind.LEAD_EVENT,
                        {
                            "summary": f"asked again (import of {ctx.lead_import.file_name}): a "
                            f"new inquiry for your {previous.stage.replace('_', ' ')} lead "
                            f"{previous.id}",
                            "actor": str(ctx.actor) if ctx.actor is not None else "leadloop",
                        },
                        lead_id=lead_id,
                    )
                )
        self.journal.append((ctx.lead_import.pk, row.line, row.fingerprint, outcome, lead_id))
        known = Known(lead_id, stage, created_at, owner)
        for i, key in enumerate(row.keys):
            if key:
                self.known.setdefault((i, key), known)

    def _owner(self, row: Prepared, team_id: int) -> int | None:
        """The file's owner when she may own it; an open inside lead otherwise goes by the rules."""
        named: Person | None = row.extra["owner"]
        stage = row.stage
        if stage in INSIDE_STAGES:
            if (
                named is not None
                and named.is_active
                and named.role == Role.INSIDE_REP
                and named.team_id == team_id
            ):
                return named.id
            return self.ctx.rotation(team_id).pick(row.person["country"], row.person["region"])
        if named is not None and named.role in (Role.INSIDE_REP, Role.MANAGER, None):
            return named.id
        return None

    def _event(
        self,
        lead_id: int,
        kind: str,
        at: datetime,
        data: dict[str, Any],
        *,
        action: str = "",
        from_stage: str = "",
        to_stage: str = "",
        reason_code_id: int | None = None,
    ) -> None:
        self.events.append(
            (
                lead_id,
                kind,
                action,
                self.t(at),
                self.actor_id,
                from_stage,
                to_stage,
                reason_code_id,
                bulk.db_json(data),
            )
        )

    def write(self, tally: Tally) -> None:
        ctx = self.ctx
        bulk.insert(Lead, LEAD_COLUMNS, self.leads)
        bulk.insert(LeadScore, ["lead_id", *SCORE_COLUMNS, "lines"], self.scores)
        if self.fills:
            tally.updated += self._fill()
        bulk.insert(LeadEvent, EVENT_COLUMNS[1:], self.events)
        bulk.insert(SlaClock, CLOCK_COLUMNS, self.clocks)
        bulk.insert(ImportedRow, JOURNAL_COLUMNS, self.journal)
        if self.notes:
            write(self.notes, now=ctx.now)
        for rotation in ctx.rotations.values():
            rotation.mark(ctx.now)

    def _fill(self) -> int:
        """`--update`: each matched open lead's empty fields from the file, with an edited event."""
        leads = Lead.objects.select_for_update(of=("self",), no_key=True).filter(
            pk__in=sorted(self.fills)
        )
        changed: list[Lead] = []
        for lead in leads.order_by("pk"):
            fill = self.fills[lead.pk]
            changes = {
                name: (getattr(lead, name), value)
                for name, value in fill.items()
                if getattr(lead, name) in ("", None)
            }
            if not changes:
                continue
            current = {name: getattr(lead, name) for name in PERSON_FIELDS}
            current.update({name: new for name, (_, new) in changes.items()})
            current["attributes"] = lead.attributes
            try:
                cleaned = clean_lead_fields(current)
            except ValidationError:
                # Filled together the fields would not make a valid lead (a phone that
                # only parses with another country): the lead is left as it was.
                continue
            for name, value in cleaned.items():
                setattr(lead, name, value)
            lead.updated_at = self.ctx.now
            lead.version += 1
            changed.append(lead)
            self._event(
                lead.pk,
                EventKind.EDITED,
                self.ctx.now,
                {
                    "fields": {n: {"from": old, "to": new} for n, (old, new) in changes.items()},
                    **self.origin,
                    "lines": self.fill_lines[lead.pk],
                },
            )
        filled = {lead.pk for lead in changed}
        self.journal = [
            (i, line, fp, RowOutcome.UPDATED if lid in filled else outcome, lid)
            for (i, line, fp, outcome, lid) in self.journal
        ]
        fields = [*PERSON_FIELDS, "email_key", "phone_key", "person_key", "updated_at", "version"]
        Lead.objects.bulk_update(changed, fields, batch_size=500)
        return len(changed)


def write_problems(
    lead_import: LeadImport,
    problems: Sequence[Problem],
    cells: Mapping[int, Sequence[str]],
    *,
    dry_run: bool,
) -> None:
    """Bad rows, with their cells on the first problem of each line (for the error file)."""
    if not problems:
        return
    first: set[int] = set()
    rows = []
    for p in problems:
        row_cells = list(cells.get(p.line, [])) if p.line not in first else []
        first.add(p.line)
        rows.append(
            (
                lead_import.pk,
                dry_run,
                p.line,
                p.column[:255],
                p.message[:500],
                bulk.db_json(row_cells),
            )
        )
    bulk.insert(ImportProblem, PROBLEM_COLUMNS, rows)
