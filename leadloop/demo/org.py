"""The demo organisation: two teleprospecting teams feeding three sales teams.

The roster is fixed data, not random, so the logins printed by `leadloop
demo` are always the same. Each person carries a small working profile
(how fast an inside rep makes first contact, how reliably a sales rep gives
feedback) that the lead simulation uses; the profiles are what makes the
SLA, accountability and teleprospector reports differ from rep to rep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.db import transaction

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.accounts.services import create_user
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.selectors import policy_for

DEMO_PASSWORD = "leadloop-demo"
DEMO_EMAIL_DOMAIN = "leadloop-demo.example"

DACH = ("DE", "AT", "CH")
NORDICS = ("SE", "NO", "DK", "FI")
NORTH_AMERICA = ("US", "CA")


def _hours(start: str, end: str, friday_end: str | None = None) -> dict[str, list[list[str]]]:
    days = {d: [[start, end]] for d in ("mon", "tue", "wed", "thu", "fri")}
    if friday_end:
        days["fri"] = [[start, friday_end]]
    return days


@dataclass(frozen=True)
class TeamSpec:
    name: str
    kind: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str
    working_hours: dict[str, list[list[str]]]
    countries: tuple[str, ...]
    feeds: tuple[str, ...] = ()


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "Berlin Teleprospecting",
        TeamKind.TELEPROSPECTING,
        "Europe/Berlin",
        "DE",
        "BE",
        _hours("08:00", "17:00", "15:00"),
        DACH + NORDICS,
        feeds=("DACH Sales", "Nordics Sales"),
    ),
    TeamSpec(
        "Boston Teleprospecting",
        TeamKind.TELEPROSPECTING,
        "America/New_York",
        "US",
        "MA",
        _hours("08:30", "17:30"),
        NORTH_AMERICA,
        feeds=("North America Sales",),
    ),
    TeamSpec(
        "DACH Sales", TeamKind.SALES, "Europe/Berlin", "DE", "BY", _hours("08:30", "18:00"), DACH
    ),
    TeamSpec(
        "Nordics Sales",
        TeamKind.SALES,
        "Europe/Stockholm",
        "SE",
        "",
        _hours("08:00", "16:30"),
        NORDICS,
    ),
    TeamSpec(
        "North America Sales",
        TeamKind.SALES,
        "America/New_York",
        "US",
        "NY",
        _hours("09:00", "18:00"),
        NORTH_AMERICA,
    ),
)


@dataclass(frozen=True)
class Staff:
    """A demo user and how she works.

    speed: multiplies an inside rep's time to first contact (over 1: slower).
    quality: multiplies the chance sales accepts her handoffs.
    feedback: the share of her handed-off leads a sales rep records outcomes for.
    left_days_ago: an inside rep who left the company (inactive, historic leads).
    """

    username: str
    first_name: str
    last_name: str
    role: str
    team: str | None
    speed: float = 1.0
    quality: float = 1.0
    feedback: float = 0.95
    left_days_ago: int | None = None


_IR, _SR, _MG = Role.INSIDE_REP, Role.SALES_REP, Role.MANAGER
BERLIN, BOSTON = "Berlin Teleprospecting", "Boston Teleprospecting"
DACH_SALES, NORDICS_SALES, NA_SALES = "DACH Sales", "Nordics Sales", "North America Sales"

PEOPLE: tuple[Staff, ...] = (
    Staff("admin", "Ada", "Admin", Role.ADMIN, None),
    Staff("laura.schmidt", "Laura", "Schmidt", Role.MARKETING, None),
    Staff("megan.foster", "Megan", "Foster", Role.MARKETING, None),
    Staff("katrin.vogel", "Katrin", "Vogel", _MG, BERLIN),
    Staff("lena.hoffmann", "Lena", "Hoffmann", _IR, BERLIN, speed=0.7, quality=1.1),
    Staff("jonas.becker", "Jonas", "Becker", _IR, BERLIN),
    Staff("mira.schulz", "Mira", "Schulz", _IR, BERLIN, speed=0.9),
    Staff("felix.wagner", "Felix", "Wagner", _IR, BERLIN, speed=1.2, quality=0.85),
    Staff("sara.lindqvist", "Sara", "Lindqvist", _IR, BERLIN, quality=1.15),
    Staff("tobias.krueger", "Tobias", "Krüger", _IR, BERLIN, speed=2.2, quality=0.7),
    Staff("julia.neumann", "Julia", "Neumann", _IR, BERLIN, left_days_ago=120),
    Staff("michael.obrien", "Michael", "O'Brien", _MG, BOSTON),
    Staff("emily.carter", "Emily", "Carter", _IR, BOSTON, speed=0.8, quality=1.1),
    Staff("jason.nguyen", "Jason", "Nguyen", _IR, BOSTON, quality=0.6),
    Staff("olivia.tremblay", "Olivia", "Tremblay", _IR, BOSTON),
    Staff("marcus.johnson", "Marcus", "Johnson", _IR, BOSTON, speed=1.6),
    Staff("hannah.kim", "Hannah", "Kim", _IR, BOSTON, speed=0.9, quality=1.2),
    Staff("ryan.murphy", "Ryan", "Murphy", _IR, BOSTON, speed=1.1),
    Staff("stefan.richter", "Stefan", "Richter", _MG, DACH_SALES),
    Staff("andreas.keller", "Andreas", "Keller", _SR, DACH_SALES),
    Staff("claudia.braun", "Claudia", "Braun", _SR, DACH_SALES, feedback=0.9),
    Staff("martin.huber", "Martin", "Huber", _SR, DACH_SALES, feedback=0.35),
    Staff("nina.zimmermann", "Nina", "Zimmermann", _SR, DACH_SALES),
    Staff("erik.johansson", "Erik", "Johansson", _MG, NORDICS_SALES),
    Staff("anna.nilsson", "Anna", "Nilsson", _SR, NORDICS_SALES),
    Staff("lars.hansen", "Lars", "Hansen", _SR, NORDICS_SALES, feedback=0.85),
    Staff("mikko.virtanen", "Mikko", "Virtanen", _SR, NORDICS_SALES, feedback=0.4),
    Staff("sofie.andersen", "Sofie", "Andersen", _SR, NORDICS_SALES),
    Staff("jennifer.walsh", "Jennifer", "Walsh", _MG, NA_SALES),
    Staff("david.miller", "David", "Miller", _SR, NA_SALES),
    Staff("ashley.brooks", "Ashley", "Brooks", _SR, NA_SALES, feedback=0.9),
    Staff("kevin.patel", "Kevin", "Patel", _SR, NA_SALES, feedback=0.3),
    Staff("rachel.cohen", "Rachel", "Cohen", _SR, NA_SALES),
)

# (team, country, inside rep): Austria, Switzerland, Sweden and Canada each
# have a rep who speaks the market.
TERRITORIES: tuple[tuple[str, str, str], ...] = (
    (BERLIN, "AT", "felix.wagner"),
    (BERLIN, "CH", "mira.schulz"),
    (BERLIN, "SE", "sara.lindqvist"),
    (BOSTON, "CA", "olivia.tremblay"),
)


def demo_logins() -> list[tuple[str, str]]:
    """One (role, username) per role, for `leadloop demo` to print."""
    first: dict[str, str] = {}
    for person in PEOPLE:
        if person.left_days_ago is None:
            first.setdefault(person.role, person.username)
    order = (Role.ADMIN, Role.MANAGER, Role.INSIDE_REP, Role.SALES_REP, Role.MARKETING)
    return [(str(role), first[role]) for role in order]


def demo_login_lines() -> list[tuple[str, str]]:
    """(who, username) for every login `leadloop demo` prints: each role, and a
    manager of each kind of team (a teleprospecting and a sales manager see
    different homes and menus)."""
    kinds = {team.name: team.kind for team in TEAMS}
    lines: list[tuple[str, str]] = []
    for role, username in demo_logins():
        if role != Role.MANAGER:
            lines.append((str(Role(role).label), username))
            continue
        seen: set[str] = set()
        for person in PEOPLE:
            kind = kinds.get(person.team or "")
            if person.role == Role.MANAGER and kind is not None and kind not in seen:
                seen.add(kind)
                lines.append((f"{TeamKind(kind).label} manager", person.username))
    return lines


# ---------------------------------------------------------------- campaigns

_SOFTWARE_BUYERS = ["Software", "Professional Services", "Financial Services", "Telecommunications"]
_INDUSTRIAL = ["Manufacturing", "Logistics", "Automotive", "Energy", "Construction"]
_MID_UP = ["50-249", "250-999", "1000+"]
_SMB_UP = ["10-49", "50-249", "250-999", "1000+"]


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign and how its leads behave.

    start/days place the campaign in the seeded window (start as a fraction
    of it; days None: always on). weight is its share of the lead volume
    while active; out_of_target the share of its leads outside its target
    market; reach the chance a lead answers at all.
    """

    name: str
    channel: str
    team: str
    cost: int
    industries: list[str]
    sizes: list[str]
    countries: list[str]
    weight: float
    out_of_target: float
    reach: float
    start: float = 0.0
    days: int | None = None
    tail_days: int = 0
    policy: dict[str, object] = field(default_factory=dict)


CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        "Website contact form DACH",
        Channel.WEB_RFI,
        BERLIN,
        48_000,
        [*_SOFTWARE_BUYERS, "Manufacturing", "Healthcare"],
        _SMB_UP,
        list(DACH),
        weight=13,
        out_of_target=0.16,
        reach=0.69,
    ),
    CampaignSpec(
        "Website contact form Nordics",
        Channel.WEB_RFI,
        BERLIN,
        21_000,
        [*_SOFTWARE_BUYERS, "Logistics"],
        _SMB_UP,
        list(NORDICS),
        weight=5,
        out_of_target=0.14,
        reach=0.71,
    ),
    CampaignSpec(
        "Webinar: Closed-loop lead management",
        Channel.WEBINAR,
        BERLIN,
        9_500,
        _SOFTWARE_BUYERS,
        _SMB_UP,
        list(DACH),
        weight=14,
        out_of_target=0.24,
        reach=0.53,
        start=0.12,
        days=21,
        tail_days=5,
    ),
    CampaignSpec(
        "Webinar: Sales and marketing SLAs",
        Channel.WEBINAR,
        BERLIN,
        11_000,
        [*_SOFTWARE_BUYERS, "Healthcare"],
        _SMB_UP,
        list(DACH + NORDICS),
        weight=12,
        out_of_target=0.28,
        reach=0.5,
        start=0.58,
        days=18,
        tail_days=5,
    ),
    CampaignSpec(
        "DMEXCO Cologne booth",
        Channel.TRADE_SHOW,
        BERLIN,
        62_000,
        [*_SOFTWARE_BUYERS, "Media", "Retail"],
        _MID_UP,
        list(DACH),
        weight=120,
        out_of_target=0.33,
        reach=0.57,
        start=0.72,
        days=2,
        tail_days=10,
        policy={"priority": 2, "first_contact_amount": 2, "max_dials": 6},
    ),
    CampaignSpec(
        "Nordic Sales Summit Stockholm",
        Channel.EVENT,
        BERLIN,
        18_000,
        [*_SOFTWARE_BUYERS, "Logistics", "Energy"],
        _MID_UP,
        list(NORDICS),
        weight=50,
        out_of_target=0.2,
        reach=0.61,
        start=0.4,
        days=2,
        tail_days=8,
    ),
    CampaignSpec(
        "Purchased list: Manufacturing DACH",
        Channel.PURCHASED_LIST,
        BERLIN,
        12_500,
        _INDUSTRIAL,
        _MID_UP,
        list(DACH),
        weight=20,
        out_of_target=0.45,
        reach=0.31,
        start=0.28,
        days=25,
    ),
    CampaignSpec(
        "Mailing: Logistics decision makers",
        Channel.MAILING,
        BERLIN,
        16_000,
        ["Logistics", "Retail", "Automotive"],
        _MID_UP,
        list(DACH),
        weight=8,
        out_of_target=0.3,
        reach=0.45,
        start=0.8,
        days=40,
    ),
    CampaignSpec(
        "Partner referrals Europe",
        Channel.REFERRAL,
        BERLIN,
        6_000,
        [*_SOFTWARE_BUYERS, *_INDUSTRIAL],
        _SMB_UP,
        list(DACH + NORDICS),
        weight=1.5,
        out_of_target=0.05,
        reach=0.81,
    ),
    CampaignSpec(
        "Inbound calls Berlin",
        Channel.INBOUND_CALL,
        BERLIN,
        0,
        [*_SOFTWARE_BUYERS, *_INDUSTRIAL],
        _SMB_UP,
        list(DACH + NORDICS),
        weight=1.5,
        out_of_target=0.12,
        reach=0.88,
    ),
    CampaignSpec(
        "Website contact form North America",
        Channel.WEB_RFI,
        BOSTON,
        65_000,
        [*_SOFTWARE_BUYERS, "Healthcare", "Retail"],
        _SMB_UP,
        list(NORTH_AMERICA),
        weight=15,
        out_of_target=0.2,
        reach=0.67,
    ),
    CampaignSpec(
        "Webinar: Pipeline velocity",
        Channel.WEBINAR,
        BOSTON,
        14_000,
        _SOFTWARE_BUYERS,
        _SMB_UP,
        list(NORTH_AMERICA),
        weight=16,
        out_of_target=0.26,
        reach=0.52,
        start=0.34,
        days=21,
        tail_days=5,
    ),
    CampaignSpec(
        "SaaStr Annual booth",
        Channel.TRADE_SHOW,
        BOSTON,
        85_000,
        _SOFTWARE_BUYERS,
        _SMB_UP,
        ["US"],
        weight=120,
        out_of_target=0.3,
        reach=0.55,
        start=0.46,
        days=3,
        tail_days=10,
    ),
    CampaignSpec(
        "Purchased list: US mid-market",
        Channel.PURCHASED_LIST,
        BOSTON,
        15_000,
        [*_SOFTWARE_BUYERS, *_INDUSTRIAL],
        _MID_UP,
        ["US"],
        weight=16,
        out_of_target=0.5,
        reach=0.28,
        start=0.62,
        days=30,
        policy={"priority": 5, "max_dials": 4, "max_emails": 2},
    ),
    CampaignSpec(
        "LinkedIn lead forms North America",
        Channel.OTHER,
        BOSTON,
        38_000,
        [*_SOFTWARE_BUYERS, "Healthcare"],
        _SMB_UP,
        list(NORTH_AMERICA),
        weight=3,
        out_of_target=0.36,
        reach=0.47,
    ),
    CampaignSpec(
        "Inbound calls Boston",
        Channel.INBOUND_CALL,
        BOSTON,
        0,
        [*_SOFTWARE_BUYERS, "Healthcare", "Retail"],
        _SMB_UP,
        list(NORTH_AMERICA),
        weight=1.5,
        out_of_target=0.1,
        reach=0.87,
    ),
    CampaignSpec(
        "Customer referrals North America",
        Channel.REFERRAL,
        BOSTON,
        4_000,
        _SOFTWARE_BUYERS,
        _SMB_UP,
        list(NORTH_AMERICA),
        weight=1.2,
        out_of_target=0.06,
        reach=0.8,
    ),
)
CAMPAIGN_SPECS = {spec.name: spec for spec in CAMPAIGNS}


def seeded_window(now: datetime, months: int) -> tuple[datetime, datetime]:
    """The span leads are created in: `months` months (of 30.44 days) up to `now`."""
    return now - timedelta(days=months * 30.44), now


def campaign_dates(
    spec: CampaignSpec, window_start: date, window_days: int
) -> tuple[date, date | None]:
    """Where a campaign sits in the seeded window; always-on ones span all of it."""
    if spec.days is None:
        return window_start, None
    starts = window_start + timedelta(days=int(spec.start * window_days))
    return starts, starts + timedelta(days=spec.days - 1)


# ---------------------------------------------------------------- creating it


@dataclass
class OrgSetup:
    """What `ensure_org` had to create."""

    users_created: int
    campaigns_created: int


# The demo password is printed by `leadloop demo` and stands in the README, so
# the hash's work factor protects nothing here, while hashing some thirty users
# at PBKDF2's full cost (~0.5 s each) would double the time a seed takes.
# Every user still gets her own salt, hence her own hash, and Django hashes
# the password again at full strength at her first login.
DEMO_HASH_ITERATIONS = 10_000


def demo_password_hash() -> str:
    """A fresh hash of the demo password with a salt of its own."""
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(DEMO_PASSWORD, hasher.salt(), iterations=DEMO_HASH_ITERATIONS)
    return make_password(DEMO_PASSWORD)


@dataclass(frozen=True)
class OrgPlan:
    """What `ensure_org` would create in the database as it is."""

    teams: int
    users: int
    campaigns: int


def missing_org() -> OrgPlan:
    """The parts of the demo organisation not in the database yet (by natural key)."""
    teams = Team.objects.filter(name__in=[t.name for t in TEAMS]).count()
    users = User.objects.filter(username__in=[p.username for p in PEOPLE]).count()
    campaigns = Campaign.objects.filter(name__in=list(CAMPAIGN_SPECS)).count()
    return OrgPlan(
        teams=len(TEAMS) - teams,
        users=len(PEOPLE) - users,
        campaigns=len(CAMPAIGN_SPECS) - campaigns,
    )


@transaction.atomic
def ensure_org(*, now: datetime, months: int) -> OrgSetup:
    """Create whatever of the organisation is missing; a complete one is left alone.

    Objects are found by their natural keys (team name, username, campaign
    name), so seeding again adds leads only.
    """
    teams: dict[str, Team] = {
        t.name: t for t in Team.objects.filter(name__in=[s.name for s in TEAMS])
    }
    for spec in TEAMS:
        if spec.name not in teams:
            teams[spec.name] = Team.objects.create(
                name=spec.name,
                kind=spec.kind,
                timezone=spec.timezone,
                working_hours=spec.working_hours,
                holiday_country=spec.holiday_country,
                holiday_subdivision=spec.holiday_subdivision,
            )
    for spec in TEAMS:
        if spec.feeds:
            teams[spec.name].feeds.add(*(teams[name] for name in spec.feeds))

    existing = set(
        User.objects.filter(username__in=[p.username for p in PEOPLE]).values_list(
            "username", flat=True
        )
    )
    new_names: list[str] = []
    for person in PEOPLE:
        if person.username in existing:
            continue
        team = teams[person.team] if person.team else None
        create_user(
            username=person.username,
            role=person.role,
            team=team,
            email=f"{person.username}@{DEMO_EMAIL_DOMAIN}",
            first_name=person.first_name,
            last_name=person.last_name,
            timezone=team.timezone if team else "",
        )
        new_names.append(person.username)
    if new_names:
        created = list(User.objects.filter(username__in=new_names))
        for user in created:
            user.password = demo_password_hash()
        User.objects.bulk_update(created, ["password"])
        leavers = [p.username for p in PEOPLE if p.left_days_ago is not None]
        User.objects.filter(username__in=set(leavers) & set(new_names)).update(is_active=False)
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PEOPLE])}
    for person in PEOPLE:
        if person.role == Role.MANAGER and person.team:
            team = teams[person.team]
            if team.manager_id is None:
                team.manager = users[person.username]
                team.save(update_fields=["manager"])
    for team_name, country, username in TERRITORIES:
        TerritoryRule.objects.get_or_create(
            team=teams[team_name],
            country=country,
            region="",
            defaults={"rep": users[username]},
        )

    window_start = seeded_window(now, months)[0].date()
    window_days = (now.date() - window_start).days
    have = set(
        Campaign.objects.filter(name__in=list(CAMPAIGN_SPECS)).values_list("name", flat=True)
    )
    campaigns_created = 0
    for plan in CAMPAIGNS:
        if plan.name in have:
            continue
        starts_on, ends_on = campaign_dates(plan, window_start, window_days)
        campaign = Campaign.objects.create(
            name=plan.name,
            channel=plan.channel,
            team=teams[plan.team],
            cost=Decimal(plan.cost),
            starts_on=starts_on,
            ends_on=ends_on,
            target_industries=plan.industries,
            target_sizes=plan.sizes,
            target_countries=plan.countries,
        )
        if plan.policy:
            _override_policy(campaign, plan.policy)
        campaigns_created += 1
    return OrgSetup(users_created=len(new_names), campaigns_created=campaigns_created)


_POLICY_FIELDS = (
    "priority",
    "first_contact_amount",
    "first_contact_unit",
    "max_open_days",
    "max_dials",
    "max_emails",
)


def _override_policy(campaign: Campaign, overrides: dict[str, object]) -> None:
    """A campaign's own source policy: its channel's default with a few values changed."""
    base = policy_for(campaign)
    values = {name: getattr(base, name) for name in _POLICY_FIELDS} | overrides
    SourcePolicy.objects.create(channel=campaign.channel, campaign=campaign, **values)
