"""Writes about people and teams: users with a role, API tokens, team calendars."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

import holidays
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import ApiToken, Team, User
from leadloop.accounts.selectors import has_role, managed_team_ids
from leadloop.lib.businesscal import Calendar, CalendarError, parse_weekly
from leadloop.lib.errors import NotPermitted
from leadloop.lib.prepared import prepared
from leadloop.lib.rows import RowLoader
from leadloop.lib.times import iso_utc

log = logging.getLogger("leadloop.accounts")

TOKEN_PREFIX = "ll_"
# How precisely a token's last use is kept: one write a minute per token at most.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# The stored working_hours keys, Monday first (Calendar numbers them 0..6).
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    team: Team | None = None,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    timezone: str = "",
) -> User:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'; one of {', '.join(Role.values)}."})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        timezone=timezone,
        # Only admins use the Django admin; managers set up their own teams in the
        # app's pages, which check which teams are theirs.
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    set_role(user=user, role=role)
    return user


def set_role(*, user: User, role: str) -> None:
    """Put the user in exactly one role group."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'."})
    groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=role))
    staff = role == Role.ADMIN or user.is_superuser
    if user.is_staff != staff:
        User.objects.filter(pk=user.pk).update(is_staff=staff)
        user.is_staff = staff
    if hasattr(user, "_role_cache"):
        del user._role_cache


def create_token(
    *,
    user: User,
    now: datetime,
    name: str = "",
    expires_at: datetime | None = None,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its digest is kept."""
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "must be in the future; a token must be usable"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=token_digest(secret),
        prefix=secret[:10],
        created_at=now,
        expires_at=expires_at,
        read_only=read_only,
    )
    return token, secret


class TokenRefused(Exception):
    """The secret names no token that may be used now (401). The message says why."""


@dataclass(frozen=True)
class _TokenLookup:
    """The token lookup of one database, built once per process.

    Every API request starts with it. Built through the ORM it cost ~3 ms a
    request, most of it Django compiling the same query again (select_related,
    the role subquery); as one fixed statement whose row becomes the objects
    by `Model.from_db` it costs a tenth of that (figures at `check_token`).
    """

    sql: str
    token: RowLoader[ApiToken]
    user: RowLoader[User]
    touch_sql: str


_lookups: dict[str, _TokenLookup] = {}


def _token_lookup(alias: str) -> _TokenLookup:
    found = _lookups.get(alias)
    if found is not None:
        return found
    conn = connections[alias]
    qn = conn.ops.quote_name
    token_meta, user_meta = ApiToken._meta, User._meta
    token, user = RowLoader(ApiToken, "t", conn), RowLoader(User, "u", conn)
    groups = User._meta.get_field("groups").remote_field.through._meta  # type: ignore[union-attr]
    group_table = qn(Group._meta.db_table)
    roles = ", ".join(f"'{role}'" for role in Role.values)  # fixed slugs, no user input
    sql = (
        # Names from the models' _meta and the fixed role slugs: no input is spliced in.
        f"SELECT {', '.join(token.columns + user.columns)}, "  # noqa: S608
        f"(SELECT g.{qn('name')} FROM {qn(groups.db_table)} ug "
        f"JOIN {group_table} g ON g.{qn('id')} = ug.{qn('group_id')} "
        f"WHERE ug.{qn('user_id')} = u.{qn('id')} AND g.{qn('name')} IN ({roles}) LIMIT 1) "
        f"FROM {qn(token_meta.db_table)} t "
        f"JOIN {qn(user_meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"WHERE t.{qn('digest')} = %s"
    )
    last_used = qn(str(token_meta.get_field("last_used_at").column))
    touch_sql = (
        f"UPDATE {qn(token_meta.db_table)} SET {last_used} = %s "  # noqa: S608
        f"WHERE {qn('id')} = %s AND ({last_used} IS NULL OR {last_used} <= %s)"
    )
    found = _TokenLookup(sql=sql, token=token, user=user, touch_sql=touch_sql)
    _lookups[alias] = found
    return found


def check_token(secret: str, *, now: datetime) -> ApiToken:
    """The token behind `secret` if it may be used at `now`, its user's role read along.

    Every API request starts here: one precompiled statement reads the token,
    its user and her role (a group membership) in one row, and the objects are
    made from it with `from_db`, no ORM query compiled. Measured warm,
    in-process, best of 3 x 2,000 calls on the shared 2-core machine (issue 17):
    the ORM lookup it replaces took 2.0-2.5 ms (1.2 ms of Python CPU) on
    PostgreSQL with 1,000,000 leads and 1.9-2.0 ms on SQLite; this takes
    0.40-0.52 ms on PostgreSQL (0.15-0.17 ms of it Python, the rest the round
    trip) and 0.11-0.13 ms on SQLite. Most of what was left over one plain
    SELECT of the token by digest was PostgreSQL planning the join and the
    role subquery each time: prepared once per session (`lib.prepared`) it
    takes 0.21 ms p50 against 0.15-0.16 ms for that SELECT (same run, 100,000
    leads, 5 x 2,000 calls; the Python building the two objects is 12 us).
    The use is recorded at most once a minute per token. A revoked or expired
    token, or one of a deactivated user, is refused at once: nothing about
    tokens is cached between requests, only the statement (its text, and its
    plan in the session).
    """
    alias = router.db_for_read(ApiToken)
    lookup = _token_lookup(alias)
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute(prepared(conn, "leadloop_token", lookup.sql), [token_digest(secret)])
        row = cursor.fetchone()
    if row is None:
        raise TokenRefused(UNKNOWN_TOKEN)
    split = len(lookup.token.columns)
    token = lookup.token.build(row[:split], conn)
    user = lookup.user.build(row[split:-1], conn)
    assert token is not None and user is not None  # an inner join of non-null ids
    if not user.is_active:
        raise TokenRefused(UNKNOWN_TOKEN)
    if token.revoked_at is not None:
        raise TokenRefused(f"This token ({token.prefix}…) was revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused(
            f"This token ({token.prefix}…) expired at {iso_utc(token.expires_at)}; "
            "create a new one with `leadloop token create`."
        )
    ApiToken.user.field.set_cached_value(token, user)
    _record_use(token, now=now, lookup=lookup, alias=alias)
    role_name = row[-1]
    user._role_cache = role_name or (Role.ADMIN.value if user.is_superuser else None)
    return token


UNKNOWN_TOKEN = "Unknown token; create one with `leadloop token create`."


def _record_use(token: ApiToken, *, now: datetime, lookup: _TokenLookup, alias: str) -> None:
    """Stamp `last_used_at`, at most once per TOKEN_USE_RESOLUTION.

    The conditional update writes only when the stored time is older, so
    the hot path costs a write once a minute per token, however many
    requests and processes use it; two racing requests write it once.
    """
    stale = now - TOKEN_USE_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    conn = connections[router.db_for_write(ApiToken)]
    adapt = conn.ops.adapt_datetimefield_value
    with conn.cursor() as cursor:
        cursor.execute(lookup.touch_sql, [adapt(now), token.pk, adapt(stale)])
        written = cursor.rowcount
    if written:
        token.last_used_at = now


def user_for_token(secret: str, *, now: datetime) -> User | None:
    """The active user of a token that may be used at `now`; None when it is refused."""
    try:
        return check_token(secret, now=now).user
    except TokenRefused:
        return None


# ---------------------------------------------------------------- team calendars

# CalendarError names the Calendar's argument; forms and the API name the
# Team field a person typed it into.
CALENDAR_FIELDS = {
    "tz": "timezone",
    "weekly": "working_hours",
    "holiday_country": "holiday_country",
    "holiday_subdivision": "holiday_subdivision",
    "closures": "closures",
}


def calendar_team_ids(user: User) -> set[int] | None:
    """Teams whose calendar the user may see and edit; None means every team.

    Admins keep every calendar (DESIGN, roles); a manager only the teams she
    manages, since the calendar sets the clock her team is measured on.
    """
    if has_role(user, Role.ADMIN):
        return None
    if user.role != Role.MANAGER:
        return set()
    return managed_team_ids(user)


def may_edit_calendar(user: User, team: Team) -> bool:
    allowed = calendar_team_ids(user)
    return allowed is None or team.pk in allowed


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """IANA zone names; scanning the zone database is slow, so once per process."""
    return frozenset(available_timezones())


def _weekly_json(weekly: dict[int, list[tuple[time, time]]]) -> dict[str, list[list[str]]]:
    """The stored shape: three-letter day keys, HH:MM times, closed days left out."""

    def fmt(t: time) -> str:
        return t.isoformat(timespec="seconds" if t.second else "minutes")

    return {
        DAY_KEYS[day]: [[fmt(start), fmt(end)] for start, end in intervals]
        for day, intervals in sorted(weekly.items())
        if intervals
    }


def _closure_dates(closures: Iterable[str | date]) -> frozenset[date]:
    days: set[date] = set()
    for value in closures:
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValidationError(
                {"closures": f"'{value}' is not a date; write one date per line as YYYY-MM-DD."}
            ) from None
    return frozenset(days)


def _subdivision_hint(country: str) -> str:
    """The codes a subdivision may take, so the error says what would be right."""
    try:
        codes = holidays.country_holidays(country).subdivisions
    except NotImplementedError:
        return ""
    return f"; one of {', '.join(codes)}" if codes else f"; {country} has no subdivisions"


@transaction.atomic
def update_team_calendar(
    *,
    team: Team,
    actor: User,
    timezone: str,
    working_hours: Mapping[str, Sequence[Sequence[str]]],
    holiday_country: str,
    holiday_subdivision: str,
    closures: Iterable[str | date],
) -> Team:
    """Replace the team's business calendar after building it once to prove it valid.

    Every SLA of the team's leads is measured on this calendar, so a calendar
    that cannot be built is refused whole (ValidationError naming the field)
    rather than saved and found broken by the next lead's intake. Clocks that
    are already running keep the due times they were given.
    """
    if not may_edit_calendar(actor, team):
        raise NotPermitted(f"{actor} may not change the calendar of {team}.")
    zone = timezone.strip()
    country = holiday_country.strip().upper()
    subdivision = holiday_subdivision.strip()
    if not zone:
        raise ValidationError({"timezone": "Choose a time zone, e.g. Europe/Berlin."})
    if zone not in known_timezones():
        raise ValidationError(
            {"timezone": f"unknown time zone '{zone}'; use an IANA name such as Europe/Berlin"}
        )
    if country and len(country) != 2:
        raise ValidationError(
            {"holiday_country": f"'{country}': use the two-letter ISO code, e.g. DE"}
        )
    days = _closure_dates(closures)
    try:
        weekly = parse_weekly(working_hours)
        Calendar(
            tz=zone,
            weekly=weekly,
            holiday_country=country or None,
            holiday_subdivision=subdivision or None,
            closures=days,
        )
    except CalendarError as exc:
        field = CALENDAR_FIELDS.get(exc.field, "working_hours")
        message = exc.message
        if field == "holiday_subdivision" and country:
            message += _subdivision_hint(country)
        raise ValidationError({field: message}) from None
    max_length = Team._meta.get_field("holiday_subdivision").max_length or 0
    if len(subdivision) > max_length:
        raise ValidationError(
            {
                "holiday_subdivision": f"'{subdivision}' is too long: use the code"
                + _subdivision_hint(country)
            }
        )

    locked = Team.objects.select_for_update().get(pk=team.pk)
    locked.timezone = zone
    locked.working_hours = _weekly_json(weekly)
    locked.holiday_country = country
    locked.holiday_subdivision = subdivision
    locked.closures = [d.isoformat() for d in sorted(days)]
    locked.save(
        update_fields=[
            "timezone",
            "working_hours",
            "holiday_country",
            "holiday_subdivision",
            "closures",
        ]
    )
    log.info(
        "team calendar changed",
        extra={"team": locked.pk, "actor": actor.pk, "tz": zone, "country": country},
    )
    return locked


@transaction.atomic
def set_handoff_weighting(*, team: Team, actor: User, enabled: bool) -> Team:
    """Turn feedback-weighted handoff suggestions on or off for a sales team.

    Seed 002: the reps who give feedback on the leads they get are the ones to
    give the next leads to. The team's manager decides, as she does for its
    calendar; suggestions made afterwards follow the setting.
    """
    if not may_edit_calendar(actor, team):
        raise NotPermitted(f"{actor} may not change the settings of {team}.")
    if team.kind != TeamKind.SALES:
        raise ValidationError(
            {"weight_handoffs_by_feedback": "only a sales team receives handoffs"}
        )
    locked = Team.objects.select_for_update().get(pk=team.pk)
    locked.weight_handoffs_by_feedback = enabled
    locked.save(update_fields=["weight_handoffs_by_feedback"])
    log.info(
        "handoff weighting changed",
        extra={"team": locked.pk, "actor": actor.pk, "enabled": enabled},
    )
    return locked
