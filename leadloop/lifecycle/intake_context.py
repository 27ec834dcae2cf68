"""What an intake reads before it writes: the campaign, its team, its policy, the active
model, and the webhook subscriptions its events are checked against.

One statement instead of five (campaign with team, `campaigns.selectors.policy_for`,
`scoring.selectors.active_model`, `webhooks.selectors.subscriptions`): measured on
PostgreSQL with 100,000 leads, each round trip and each ORM compilation of the hot path cost about a
millisecond of a ~30 ms intake, the SQL itself a fraction of that. The
policy chosen is `policy_for`'s (the campaign's own row, else its channel's
default, else the seeds' values); the model is the one `active_model` returns.
Rows are read with the fields' own database converters (`lib.rows.RowLoader`),
so the instances are what the ORM would have built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model

from leadloop.accounts.models import Team
from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.lib.prepared import prepared
from leadloop.lib.rows import RowLoader
from leadloop.scoring.choices import ModelStatus
from leadloop.scoring.models import ScoringModel
from leadloop.webhooks import selectors as webhooks

# What scoring an arrival reads of the model (`lifecycle.scoring.score_values`);
# the rest (the backtest can be large) stays deferred.
MODEL_FIELDS = ("id", "version", "target", "status", "spec")


@dataclass(frozen=True)
class IntakeContext:
    campaign: Campaign  # with its team
    policy: SourcePolicy
    model: ScoringModel | None


@dataclass(frozen=True)
class _Query:
    sql: str
    loaders: tuple[
        RowLoader[Campaign], RowLoader[Team], RowLoader[SourcePolicy], RowLoader[ScoringModel]
    ]


# The person's advisory locks (`intake._identity_locks`), taken in the same
# statement as the reads: one round trip less. Whatever the statement's snapshot
# shows of the campaign is as good as a read before the locks; the person's
# leads are read by the next statement, after the locks are held. Volatile
# functions run in the order of the sorted keys, so two intakes sharing two
# keys take them in the same order.
_LOCKS = (
    "(SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM (SELECT k FROM unnest(%s::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n) keys)"
)


@cache
def _query(vendor: str, locking: bool) -> _Query:
    """The statement, built once per process (database vendor, with the locks or not)."""
    del vendor  # the cache key: quoting and converters are the vendor's
    loaders = (
        RowLoader(Campaign, "c", connection),
        RowLoader(Team, "t", connection),
        RowLoader(SourcePolicy, "p", connection),
        RowLoader(ScoringModel, "m", connection, MODEL_FIELDS),
    )
    policy = SourcePolicy._meta.db_table
    # The campaign's own policy sorts before its channel's default (`policy_for`);
    # the active model is unique (constraint scoring_one_active_model). Only
    # table and column names are formatted in; the values are parameters.
    sql = (
        f"SELECT {', '.join(c for ld in loaders for c in ld.columns)}, "  # noqa: S608
        f"{webhooks.subscriptions_sql(connection.vendor)}"
        f"{', ' + _LOCKS if locking else ''} "
        f"FROM {Campaign._meta.db_table} c "
        f"JOIN {Team._meta.db_table} t ON t.id = c.team_id "
        f"LEFT JOIN {policy} p ON p.id = ("
        f"SELECT p2.id FROM {policy} p2 WHERE p2.campaign_id = c.id "
        f"OR (p2.channel = c.channel AND p2.campaign_id IS NULL) "
        f"ORDER BY p2.campaign_id IS NULL, p2.id LIMIT 1) "
        f"LEFT JOIN {ScoringModel._meta.db_table} m ON m.status = %s "
        f"WHERE c.id = %s"
    )
    return _Query(sql, loaders)


def intake_context(campaign_id: int, *, locks: list[str] | None = None) -> IntakeContext | None:
    """The campaign (None if there is no such campaign) and what its intake needs.

    `locks`: advisory lock keys to take in the same statement (PostgreSQL),
    held until the transaction ends.
    """
    query = _query(connection.vendor, bool(locks))
    params: list[Any] = [ModelStatus.ACTIVE, campaign_id]
    if locks:
        params.insert(0, locks)
    with connection.cursor() as cur:
        # Planned once per session (`lib.prepared`): the joins and subqueries
        # cost PostgreSQL more to plan than to run.
        name = "leadloop_intake_context" + ("_locking" if locks else "")
        cur.execute(prepared(connection, name, query.sql), params)
        row = cur.fetchone()
    if row is None:
        return None
    parts: list[Model | None] = []
    start = 0
    for loader in query.loaders:
        end = start + len(loader.columns)
        parts.append(loader.build(row[start:end], connection))
        start = end
    # The webhook subscriptions follow (the locks' count, if any, comes last):
    # the events this intake writes find them kept for the transaction.
    webhooks.remember_subscriptions(row[start])
    campaign, team, policy, model = parts
    assert isinstance(campaign, Campaign) and isinstance(team, Team)
    campaign.team = team
    if policy is None:
        # As in `policy_for`: an admin may have deleted a channel's default row.
        policy = SourcePolicy(channel=campaign.channel, **SOURCE_POLICY_DEFAULTS[campaign.channel])
    assert isinstance(policy, SourcePolicy)
    assert model is None or isinstance(model, ScoringModel)
    return IntakeContext(campaign=campaign, policy=policy, model=model)
