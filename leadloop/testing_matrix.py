"""The permission matrix's shared part: team Beta's objects, the roles, and the runner.

Every case of the matrix (`web/tests/test_permission_matrix.py`,
`api/tests/test_permission_matrix.py`) acts on something of team Beta (side
`b` of the test world): its leads at every step of their life, a cadence
with done, failed and pending steps, the inside rep's notification, its
teams, its campaign's policy, its sales team's own cadence. Each role of
both sides then gets what the rules give her: the object, a list without
it, or a refusal that changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse

from leadloop.accounts.models import Team, User
from leadloop.campaigns.models import SourcePolicy
from leadloop.campaigns.services import POLICY_FIELDS, set_campaign_override
from leadloop.followup.choices import MailState, StepAction
from leadloop.followup.models import CadenceTask, CadenceTemplate
from leadloop.followup.services import customize_for_team
from leadloop.handoff.models import Handoff
from leadloop.imports.models import LeadImport
from leadloop.imports.services import create_import, store_file
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.cadence_steps import complete_task
from leadloop.lifecycle.claims import claim_lead
from leadloop.lifecycle.imports import run_import
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.models import Notification
from leadloop.outreach.models import Activity
from leadloop.testing import BANT, NOW, Side, World, make_lead
from leadloop.webforms.models import Form
from leadloop.webforms.services import create_form

# The story's times (Europe/Berlin, as in followup/tests/conftest.py): hand-offs on
# Tue 17 Nov 2026 10:00, meetings on Thu 19 Nov, cadence day 5 on Thu 26 Nov. The
# matrix reads and writes on Fri 27 Nov, 10:00.
MEETING = NOW + timedelta(days=2)
NO_SHOW_AT = MEETING + timedelta(hours=1)
DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY5 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PINNED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}

# What marks Beta in a page or a body: every Beta name starts with it (users,
# teams, campaign, the leads' last names and companies, their industry). Alpha's
# pages must never contain it.
BETA = "Beta"


@dataclass
class Beta:
    """Team Beta's objects, one per step of a lead's life the doors act on."""

    world: World
    fresh: Lead  # new, with Beta's inside rep
    handed: Lead  # handed off to Beta's sales rep, waiting for her answer
    missed: Lead  # no-show: the cadence runs
    nurtured: Lead  # nurture past its next touch date: purgatory
    done_task: CadenceTask  # the day-1 voicemail, done
    failed_task: CadenceTask  # the day-1 email, refused by the mail server
    pending_task: CadenceTask  # the day-3 voicemail, due
    invitation: CadenceTask  # the day-5 invitation, sent
    notification: Notification  # one of Beta's inside rep's
    policy: SourcePolicy  # Beta campaign's own policy
    # Objects a case makes for itself (in its rolled-back transaction).
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def side(self) -> Side:
        return self.world.b


def _beta_lead(side: Side, name: str, **fields: Any) -> Lead:
    return make_lead(
        side,
        owner=side.inside,
        last_name=f"Beta{name}",
        company=f"Betacorp {name}",
        industry="Betanautics",
        **fields,
    )


def _handed(side: Side, name: str) -> Lead:
    lead = _beta_lead(side, name)
    return lead_transition(
        lead=lead,
        action="hand_off",
        actor=side.inside,
        now=NOW,
        data={
            "sales_rep": side.sales_rep.pk,
            "meeting_at": MEETING,
            "answers": BANT,
            "write_up": "Ready to talk.",
            "warm_call_confirmed": True,
        },
    )


def _accepted(side: Side, name: str) -> Lead:
    lead = _handed(side, name)
    return lead_transition(
        lead=lead, action="accept", actor=side.sales_rep, now=NOW + timedelta(hours=1)
    )


def build_beta(world: World) -> Beta:
    """Team Beta's objects, made through the actions as the reps would make them."""
    side = world.b
    rep = side.sales_rep
    fresh = _beta_lead(side, "fresh")
    handed = _handed(side, "handed")
    missed = lead_transition(
        lead=_accepted(side, "missed"), action="no_show", actor=rep, now=NO_SHOW_AT
    )
    nurtured = lead_transition(
        lead=_accepted(side, "nurtured"), action="meeting_held", actor=rep, now=NO_SHOW_AT
    )
    nurtured = lead_transition(
        lead=nurtured,
        action="nurture",
        actor=rep,
        now=NO_SHOW_AT + timedelta(hours=1),
        data={"next_touch_on": date(2026, 11, 23)},
    )
    # Reasons given on both sides, for the reasons report.
    lead_transition(
        lead=_beta_lead(side, "nobudget"),
        action="disqualify",
        actor=side.inside,
        now=NOW,
        data={"reason_code": "no_budget"},
    )
    lead_transition(
        lead=_accepted(side, "noneed"),
        action="disqualify",
        actor=rep,
        now=NOW + timedelta(hours=2),
        data={"reason_code": "no_need"},
    )
    tasks = {
        (t.day, t.action): t for t in CadenceTask.objects.filter(lead=missed).order_by("position")
    }
    done = complete_task(task=tasks[(1, StepAction.VOICEMAIL)], actor=rep, now=DAY1)
    failed = complete_task(task=tasks[(1, StepAction.EMAIL)], actor=rep, now=DAY1)
    # As `lifecycle.prospect_mail` records a refusal by the mail server (tests send no mail).
    CadenceTask.objects.filter(pk=failed.pk).update(
        mail_state=MailState.FAILED, mail_error="550 mailbox unavailable"
    )
    invitation = complete_task(
        task=tasks[(5, StepAction.INVITATION)],
        actor=rep,
        now=DAY5,
        proposed_at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
    )
    policy = set_campaign_override(campaign=side.campaign, actor=world.admin, priority=2)
    return Beta(
        world=world,
        fresh=fresh,
        handed=handed,
        missed=missed,
        nurtured=nurtured,
        done_task=done,
        failed_task=CadenceTask.objects.get(pk=failed.pk),
        pending_task=tasks[(3, StepAction.VOICEMAIL)],
        invitation=invitation,
        notification=Notification.objects.filter(user=side.inside).order_by("pk").first()
        or _missing("a notification of Beta's inside rep"),
        policy=policy,
    )


def _missing(what: str) -> Any:
    raise AssertionError(f"the Beta world has no {what}")


def beta_template(beta: Beta) -> CadenceTemplate:
    """Beta's sales team's own copy of the no-show cadence (made by a case that needs it)."""
    return customize_for_team(team=beta.side.sales, actor=beta.world.admin, now=NOW)


BETA_FILE = (
    b"First Name,Last Name,Company,Email\r\n"
    b"Betty,Betaimport,Betacorp Import,betty@betacorp.example\r\n"
    b"Bad,Betarow,Betacorp Bad,not-an-email\r\n"
)


def _beta_import(beta: Beta, *, run: bool) -> LeadImport:
    """An import of a file for Beta's teleprospecting team, made by its manager."""
    side = beta.side
    stored = store_file(io.BytesIO(BETA_FILE), file_name="Beta-leads.csv")
    made = create_import(
        stored=stored,
        file_name="Beta-leads.csv",
        actor=side.tele_manager,
        now=NOW,
        mapping="auto",
        campaign=side.campaign,
        team=side.tele,
    )
    if run:
        run_import(made, actor=side.tele_manager, now=NOW)
        made.refresh_from_db()
    beta.made["import"] = made
    return made


def done_import(beta: Beta) -> None:
    """Beta's import, done: one lead made, one row refused (the error file has it)."""
    _beta_import(beta, run=True)


def uploaded_import(beta: Beta) -> None:
    """Beta's import, uploaded and mapped, not run yet."""
    _beta_import(beta, run=False)


def the_import(beta: Beta) -> Mapping[str, Any]:
    return {"import_id": beta.made["import"].pk}


def beta_upload(beta: Beta) -> Mapping[str, Any]:
    """A multipart upload of a file for Beta's campaign (a door sends `file` as a file)."""
    return {
        "file": SimpleUploadedFile("Beta-leads.csv", BETA_FILE),
        "campaign": beta.side.campaign.pk,
        "mapping": "auto",
        "dry_run": "true",
    }


def response_bytes(response: HttpResponse) -> bytes:
    """An answer's body, streamed (an export, an error file) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return getattr(response, "content", b"")


def beta_form(beta: Beta) -> None:
    """A web form of Beta's campaign, made by an admin."""
    beta.made["form"] = create_form(
        actor=beta.world.admin,
        campaign=beta.side.campaign,
        name="Beta web form",
        fields=["first_name", {"name": "email", "required": True}],
        allowed_origins=["https://www.beta.example"],
        now=NOW,
    )


def the_form(beta: Beta) -> Mapping[str, Any]:
    return {"form_id": beta.made["form"].pk}


def the_form_key(beta: Beta) -> Mapping[str, Any]:
    return {"key": beta.made["form"].key}


def claimed_by_inside(beta: Beta) -> None:
    """Beta's inside rep is working her fresh lead (a case that releases it needs a claim)."""
    claim_lead(lead=Lead.objects.get(pk=beta.fresh.pk), user=beta.side.inside, now=PINNED)


def attempt_by_inside(beta: Beta) -> None:
    """Beta's inside rep, working her fresh lead, logged a call seconds ago (an undo needs one)."""
    lead = Lead.objects.get(pk=beta.fresh.pk)
    lead_transition(
        lead=lead, action="start_work", actor=beta.side.inside, now=PINNED - timedelta(minutes=2)
    )
    # The first call settles the (long overdue) first-contact clock; the second is the
    # one to take back.
    for ago in (timedelta(minutes=1), timedelta(seconds=5)):
        log_activity(
            lead=lead.pk, actor=beta.side.inside, kind="call", outcome="no_answer", now=PINNED - ago
        )


def last_attempt(beta: Beta) -> dict[str, Any]:
    """The form body naming the fresh lead's latest activity."""
    return {"activity": Activity.objects.filter(lead_id=beta.fresh.pk).latest("pk").pk}


def beta_state(beta: Beta) -> Any:
    """Everything of Beta's a write could change: equal before and after a refusal."""
    side = beta.side
    leads = Lead.objects.filter(team=side.tele)
    teams = [side.tele.pk, side.sales.pk]
    return (
        list(
            leads.order_by("pk").values_list(
                "pk",
                "version",
                "stage",
                "owner_id",
                "sales_rep_id",
                "claimed_by_id",
                "claimed_until",
                "qualification",
                "first_name",
                "last_name",
                "email",
                "meeting_at",
                "next_touch_on",
            )
        ),
        LeadEvent.objects.filter(lead__team=side.tele).count(),
        Activity.objects.filter(lead__team=side.tele).count(),
        Handoff.objects.filter(lead__team=side.tele).count(),
        list(
            CadenceTask.objects.filter(lead__team=side.tele)
            .order_by("pk")
            .values_list("pk", "status", "mail_state", "done_at", "proposed_at")
        ),
        list(
            CadenceTemplate.objects.filter(team_id__in=teams)
            .order_by("pk")
            .values_list("pk", "version", "name", "recycle_day")
        ),
        list(
            Team.objects.filter(pk__in=teams)
            .order_by("pk")
            .values_list(
                "pk",
                "timezone",
                "working_hours",
                "holiday_country",
                "closures",
                "weight_handoffs_by_feedback",
            )
        ),
        list(SourcePolicy.objects.filter(campaign=side.campaign).values_list(*POLICY_FIELDS)),
        list(Notification.objects.filter(pk=beta.notification.pk).values_list("read_at")),
        # Web forms: their settings (not their counters, which every public request moves).
        list(
            Form.objects.filter(campaign=side.campaign)
            .order_by("pk")
            .values_list("pk", "name", "fields", "is_active", "allowed_origins", "redirect_url")
        ),
    )


# ---------------------------------------------------------------- roles


ROLES: dict[str, Callable[[World], User]] = {
    "admin": lambda w: w.admin,
    "marketing": lambda w: w.marketing,
    "a_inside": lambda w: w.a.inside,
    "b_inside": lambda w: w.b.inside,
    "a_sales": lambda w: w.a.sales_rep,
    "b_sales": lambda w: w.b.sales_rep,
    "a_tele_mgr": lambda w: w.a.tele_manager,
    "a_sales_mgr": lambda w: w.a.sales_manager,
    "b_tele_mgr": lambda w: w.b.tele_manager,
    "b_sales_mgr": lambda w: w.b.sales_manager,
}
ANONYMOUS = "anonymous"

# What a role gets:
SEE = "see"  # the object (a list: with Beta in it)
HIDE = "hide"  # a list narrowed to what she may see: no Beta in it
NO = "no"  # refused, 403 or 404 (nothing changed)
DO = "do"  # the write is done (a success or a redirect after it)
OWN = "own"  # her own part is done; nothing of Beta's changed
OK = "ok"  # a success that holds nothing of Beta's (reference data, her own settings)
FILTER = "filter"  # a filter naming what she may not report on: 422 naming it
CODES = {SEE, HIDE, NO, DO, OWN, OK, FILTER}

# Groups of roles, as the rules name them.
EVERYONE = frozenset(ROLES)
ALPHA = frozenset({"a_inside", "a_sales", "a_tele_mgr", "a_sales_mgr"})
# Who sees a Beta lead before its hand-off, and after it.
SEES_FRESH = frozenset({"admin", "marketing", "b_inside", "b_tele_mgr"})
SEES_HANDED = SEES_FRESH | {"b_sales", "b_sales_mgr"}
# Who acts on it before the hand-off (its inside rep, her manager, an admin), and after it.
WORKS_FRESH = frozenset({"admin", "b_inside", "b_tele_mgr"})
WORKS_HANDED = frozenset({"admin", "b_sales", "b_sales_mgr"})
MANAGERS = frozenset({"a_tele_mgr", "a_sales_mgr", "b_tele_mgr", "b_sales_mgr"})
REPS = frozenset({"a_inside", "b_inside", "a_sales", "b_sales"})


def roles(*groups: tuple[frozenset[str] | set[str] | str, str]) -> dict[str, str]:
    """Expectations by role: each (roles, code) pair in turn, later pairs overriding."""
    out: dict[str, str] = {}
    for who, code in groups:
        names = {who} if isinstance(who, str) else set(who)
        unknown = names - set(ROLES)
        assert not unknown, unknown
        assert code in CODES, code
        out |= dict.fromkeys(names, code)
    missing = set(ROLES) - set(out)
    assert not missing, f"no expectation for {sorted(missing)}"
    return out


def reads(see: frozenset[str] | set[str]) -> dict[str, str]:
    """A read of one Beta object: these roles see it, everyone else is refused."""
    return roles((EVERYONE, NO), (see, SEE))


def lists(
    see: frozenset[str] | set[str], refused: frozenset[str] | set[str] = frozenset()
) -> dict[str, str]:
    """A list: these roles find Beta in it, the `refused` ones may not open it, the rest
    get it narrowed."""
    return roles((EVERYONE, HIDE), (see, SEE), (refused, NO))


def writes(do: frozenset[str] | set[str]) -> dict[str, str]:
    """A write on a Beta object: these roles do it, everyone else is refused."""
    return roles((EVERYONE, NO), (do, DO))


# ---------------------------------------------------------------- cases


Args = Callable[[Beta], Mapping[str, Any]]


def nothing(beta: Beta) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One request and what each role gets from it.

    `path` gives the URL's arguments (a route's kwargs, an API path's
    parameters), `query` the query string, `body` the form or JSON body, all
    from Beta's objects; `setup` runs first, inside the case's own rolled-back
    transaction, for objects only some cases need (it may add them to
    `beta.made`). `changes`: whoever may do it changes Beta's state, which
    proves that the "nothing changed" check of the refusals sees this write.
    `baseline`: compare each answer with the answer in a world where Beta's
    leads never were, so a list or a report that shows no names still shows
    whether Beta's numbers are in it.
    """

    method: str
    expect: Mapping[str, str]
    path: Args = nothing
    query: Args = nothing
    body: Args = nothing
    setup: Callable[[Beta], object] | None = None
    changes: bool = False
    baseline: bool = False
    # The answer without a login, when it is not the door's usual one.
    anonymous: int | None = None
    # FILTER: what the refusal names, and its status.
    field: str = ""
    refused_status: int = 422
    # What shows Beta's object in an answer (default: any Beta name).
    marker: Callable[[Beta], str] | None = None
    # What tells this case from the entry's others in a failure (default: its number).
    label: str = ""
    # A leak whose fix belongs in a file this branch may not change: the case asserts
    # the right answer; for the roles in `pending_for` a wrong one is reported as this
    # pending leak (naming the change it needs), and a right one fails until the note
    # is dropped.
    pending: str = ""
    pending_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Door:
    """How one door is called and what its answers look like."""

    name: str
    url: Callable[[str, Mapping[str, Any]], str]
    send: Callable[[User | None, str, str, Mapping[str, Any], Mapping[str, Any]], HttpResponse]
    # The part of an answer that shows what she may see (a page without its header).
    content: Callable[[HttpResponse], bytes]
    # What is wrong with a refusal's shape (the API answers JSON), or "".
    refusal: Callable[[HttpResponse], str]
    # What is wrong with the answer to a request without a login, or "".
    anonymous: Callable[[Case, HttpResponse], str]


@dataclass
class Tally:
    """What a run of the matrix did and found."""

    keys: int = 0
    cases: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    def report(self, door: str) -> str:
        callers = len(ROLES) + 1
        return (
            f"{door}: {self.keys} entries x {callers} callers ({len(ROLES)} roles and anonymous) "
            f"= {self.keys * callers} pairs, in {self.cases} cases = {self.requests} requests; "
            f"{len(self.failures)} failures, {len(self.pending)} pending leaks"
        )


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a case and forget it: the next one starts from the same Beta."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def without_beta_leads(beta: Beta) -> None:
    """The world as it would be had Beta never had a lead (for the baselines)."""
    Lead.objects.filter(team=beta.side.tele).delete()


SUCCESS = {200, 201, 202, 204, 302}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _verdict(
    code: str,
    case: Case,
    door: Door,
    response: HttpResponse,
    *,
    changed: bool | None,
    marker: str,
    baseline: bytes | None,
    content: bytes,
) -> str:
    """What is wrong with one answer, or ""."""
    status = response.status_code
    if code == NO:
        if status not in (403, 404):
            return f"expected a refusal (403/404), got {status}"
        if changed:
            return f"refused ({status}) but Beta's state changed"
        return door.refusal(response)
    if code == FILTER:
        if status != case.refused_status:
            return f"expected {case.refused_status} naming '{case.field}', got {status}"
        if case.field.encode() not in content:
            return f"422 without naming '{case.field}'"
        return ""
    if status not in SUCCESS:
        return f"expected a success, got {status}"
    if status == 302 and "/login/" in response.get("Location", ""):
        return "sent to the login page"
    if code == DO:
        if case.changes and changed is False:
            return "answered success but changed nothing of Beta's"
        return ""
    if code == OWN:
        return "Beta's state changed" if changed else ""
    if code == OK:
        return ""
    if baseline is not None:
        same = content == baseline
        if code == SEE and same:
            return "the answer is the same as in a world without Beta's leads"
        if code == HIDE and not same:
            return "the answer differs from a world without Beta's leads: Beta counts in it"
    shows = marker.encode() in content
    if code == SEE and not shows and baseline is None:
        return f"no '{marker}' in the answer"
    if code == HIDE and shows:
        return f"'{marker}' in the answer"
    return ""


def run_matrix(
    beta: Beta, door: Door, table: Mapping[str, list[Case]], users: Mapping[str, User]
) -> Tally:
    """Every case for every role and anonymous; the failures, each naming what it was."""
    tally = Tally(keys=len(table))
    baselines = _baselines(beta, door, table, users)
    for key, cases in table.items():
        for index, case in enumerate(cases):
            tally.cases += 1
            named = key if key.startswith(case.method) else f"{case.method} {key}"
            which = case.label or (f"#{index + 1}" if len(cases) > 1 else "")
            label = f"{door.name} {named} {which}".rstrip()
            leaking = []
            for role in [*ROLES, ANONYMOUS]:
                tally.requests += 1
                baseline = baselines.get((key, index, role))
                problem = _one(beta, door, key, case, role, users, baseline)
                if problem and role in case.pending_for:
                    leaking.append(f"{label} as {role}: {problem} (pending: {case.pending})")
                elif problem:
                    tally.failures.append(f"{label} as {role}: {problem}")
            tally.pending += leaking
            if case.pending_for and not leaking:
                tally.failures.append(f"{label}: the pending leak is gone; drop its note")
    return tally


def _one(
    beta: Beta,
    door: Door,
    key: str,
    case: Case,
    role: str,
    users: Mapping[str, User],
    baseline: bytes | None,
) -> str:
    user = users.get(role)
    write = case.method in WRITE_METHODS
    with rolled_back():
        if case.setup is not None:
            case.setup(beta)
        before = beta_state(beta) if write else None
        try:
            response = door.send(
                user, case.method, door.url(key, case.path(beta)), case.query(beta), case.body(beta)
            )
        except Exception as exc:  # a 500 is a finding like any other: name it, go on
            return f"raised {type(exc).__name__}: {exc}"
        changed = beta_state(beta) != before if write else None
        if role == ANONYMOUS:
            problem = door.anonymous(case, response)
            return problem or ("Beta's state changed" if changed else "")
        content = door.content(response)
        return _verdict(
            case.expect[role],
            case,
            door,
            response,
            changed=changed,
            marker=case.marker(beta) if case.marker is not None else BETA,
            baseline=baseline,
            content=content,
        )


def _baselines(
    beta: Beta, door: Door, table: Mapping[str, list[Case]], users: Mapping[str, User]
) -> dict[tuple[str, int, str], bytes]:
    """The answers of the baseline cases in a world without Beta's leads."""
    out: dict[tuple[str, int, str], bytes] = {}
    wanted = [
        (key, index, case)
        for key, cases in table.items()
        for index, case in enumerate(cases)
        if case.baseline
    ]
    if not wanted:
        return out
    with rolled_back():
        without_beta_leads(beta)
        for key, index, case in wanted:
            for role, code in case.expect.items():
                if code not in (SEE, HIDE):
                    continue
                response = door.send(
                    users[role],
                    case.method,
                    door.url(key, case.path(beta)),
                    case.query(beta),
                    case.body(beta),
                )
                out[(key, index, role)] = door.content(response)
    return out


# ---------------------------------------------------------------- webhooks

# Endpoints carry the whole organisation's lead data to other systems: admins only.
WEBHOOK_ADMINS = frozenset({"admin"})


def beta_endpoint(beta: Beta) -> None:
    """A webhook endpoint for Beta's team, with a failed message in its log."""
    from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
    from leadloop.webhooks.secrets import new_secret, seal

    endpoint = Endpoint.objects.create(
        team=beta.side.tele,
        owner=beta.world.admin,
        url="https://hooks.betacorp.example/in",
        description="Beta warehouse",
        event_types="*",
        secret=seal(new_secret()),
        created_at=PINNED,
        updated_at=PINNED,
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type="webhook.test",
        data={"test": True},
        state="failed",
        attempts=10,
        next_attempt_at=PINNED,
        created_at=PINNED,
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, at=PINNED, status_code=500, response="Beta receiver down"
    )
    beta.made["endpoint"] = endpoint
    beta.made["delivery"] = delivery


def the_endpoint(beta: Beta) -> Mapping[str, Any]:
    return {"endpoint_id": beta.made["endpoint"].pk}


def the_delivery(beta: Beta) -> Mapping[str, Any]:
    return {"endpoint_id": beta.made["endpoint"].pk, "delivery_id": beta.made["delivery"].pk}


# ---------------------------------------------------------------- scoring
#
# Scoring models are the organisation's, not a team's: marketing, every manager
# and admins may see, tune and apply them; reps may not.
SCORERS = frozenset({"admin", "marketing", *MANAGERS})


def scoring_proposal(beta: Beta) -> None:
    """A proposal made directly: the matrix is about who may, not about learning."""
    from leadloop.scoring.models import ScoringModel, TuningRun

    spec = {"base": 50, "features": [], "calibration": {"a": -2.0, "b": 0.02}}
    beta.made["proposal"] = ScoringModel.objects.create(
        version=1, target="won", spec=spec, backtest={}, created_at=NOW
    )
    beta.made["tuning"] = TuningRun.objects.create(target="won", created_at=NOW)


def the_proposal(beta: Beta) -> Mapping[str, Any]:
    return {"model_id": beta.made["proposal"].pk}


def the_tuning(beta: Beta) -> Mapping[str, Any]:
    return {"run_id": beta.made["tuning"].pk}
