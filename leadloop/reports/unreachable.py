"""`unreachable`: what distinguishes the leads nobody reaches from those who
respond (seed 001): per value of each lead attribute, the reach rate, its lift
over the average, a 95 % confidence interval and the count.

Over the leads that came in during the period and are *settled* (reached, or
closed without being reached; `metrics.settled`). The significance column is
a two-sided two-proportion z-test of the value against all other values.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import F
from django.db.models.fields.json import KeyTextTransform

from leadloop.campaigns.choices import Channel
from leadloop.reports import metrics
from leadloop.reports.common import Ctx, campaigns, rep_lead_field
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Bar, Cell, Chart, Column, Report, Table, link
from leadloop.reports.scope import Viewer
from leadloop.reports.sqlagg import grouped_counts

NAME = "unreachable"
TITLE = "Unreachable analysis"
DESCRIPTION = (
    "Per value of each lead attribute: how many settled leads, the share reached, its "
    "lift over the average with a 95 % confidence interval, and whether the difference "
    "is significant."
)
DEFAULT_ATTRIBUTES = ("industry", "size", "country", "revenue_band", "channel", "title")


def _expr(key: str) -> Any:
    if key == "size":
        return metrics.size_band_case()
    if key == "channel":
        # Counted by campaign and summed into channels here (`_by_channel`): the
        # lead's own column, no join of a million leads to the campaigns.
        return F("campaign_id")
    if key.startswith(metrics.CUSTOM_PREFIX):
        return KeyTextTransform(key.removeprefix(metrics.CUSTOM_PREFIX), "attributes")
    return F(key)


def _alias(key: str) -> str:
    """A SQL-safe name for an attribute key (custom ones contain a dot)."""
    return re.sub(r"\W", "_", key)


def _by_channel(per_campaign: dict[Any, dict[str, int]]) -> dict[Any, dict[str, int]]:
    """Counts per campaign summed per channel (every lead has a campaign).

    At 1,000,000 leads the join to the campaigns for their channel was 280 ms of
    the report's 2.2 s aggregate (a loaded machine); the 17 campaigns are summed
    here instead.
    """
    channel = {pk: ch for pk, (_name, ch) in campaigns(per_campaign).items()}
    out: dict[Any, dict[str, int]] = {}
    for pk, counts in per_campaign.items():
        into = out.setdefault(channel.get(pk), dict.fromkeys(counts, 0))
        for k, v in counts.items():
            into[k] += v
    return out


def _label(key: str) -> str:
    if key in metrics.ATTRIBUTES:
        return metrics.ATTRIBUTES[key]
    return f"Custom: {key.removeprefix(metrics.CUSTOM_PREFIX)}"


def _value_label(key: str, value: Any) -> str:
    if value in (None, ""):
        return "unknown"
    if key == "channel" and value in Channel.values:
        return str(Channel(value).label)
    return str(value)


COLUMNS = [
    Column("attribute", "Attribute", "text"),
    Column("value", "Value", "text"),
    Column("settled", "Settled leads", "int", "Reached, or closed without being reached."),
    Column("reached", "Reached", "int"),
    Column("not_reached", "Not reached", "int"),
    Column("rate", "Reach rate", "pct"),
    Column("low", "95 % CI low", "pct", "Wilson score interval of the reach rate."),
    Column("high", "95 % CI high", "pct"),
    Column("lift", "Lift", "ratio", "Reach rate / the average reach rate."),
    Column(
        "p",
        "Chance it is luck (p)",
        "float",
        "The chance of a reach rate this far from the other values' if the value made no "
        "difference (two-sided two-proportion z-test); under 0.05: a real difference.",
    ),
]


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    fl, win = ctx.filters, ctx.window
    leads = ctx.leads().filter(metrics.settled())
    base = {**ctx.lead_links(), **win.link("created")}
    leads = leads.filter(win.q("created_at"))
    if fl.rep:
        field = rep_lead_field(fl.rep)
        leads = leads.filter(**{f"{field}_id": fl.rep})
        base[field] = str(fl.rep)
    keys = (fl.attribute,) if fl.attribute else DEFAULT_ATTRIBUTES
    counts = grouped_counts(
        leads, {_alias(k): _expr(k) for k in keys}, {"reached": metrics.reached()}
    )
    if "channel" in counts:
        counts["channel"] = _by_channel(counts["channel"])
    total_n = sum(v["n"] for v in next(iter(counts.values()), {}).values())
    total_k = sum(v["reached"] for v in next(iter(counts.values()), {}).values())
    average = metrics.share(total_k, total_n)
    table = Table(
        key="by_value",
        title="Reach rate by attribute value",
        columns=COLUMNS,
        note=f"Significant at p < {metrics.SIGNIFICANCE_P}: shown in bold red (below "
        "average) or green (above). Small groups have wide intervals.",
    )
    chart_key = keys[0]
    bars: list[Bar] = []
    for key in keys:
        values = counts.get(_alias(key), {})
        for value in sorted(values, key=lambda v: (-values[v]["n"], str(v))):
            n, k = values[value]["n"], values[value]["reached"]
            rate = metrics.share(k, n)
            ci = metrics.wilson(k, n)
            test = metrics.two_proportion_z(k, n, total_k - k, total_n - n)
            significant = test is not None and test.p_two_sided < metrics.SIGNIFICANCE_P
            tone = ""
            if significant and rate is not None and average is not None:
                tone = "good" if rate > average else "bad"
            vlink = link(base, attr=f"{key}={value or ''}")
            lift = rate / average if rate is not None and average else None
            table.rows.append(
                {
                    "attribute": Cell(_label(key)),
                    "value": Cell(_value_label(key, value)),
                    "settled": Cell(n, link(vlink, reach="settled")),
                    "reached": Cell(k, link(vlink, reach="reached")),
                    "not_reached": Cell(n - k, link(vlink, reach="not_reached")),
                    "rate": Cell(rate, link(vlink, reach="settled"), tone=tone),
                    "low": Cell(ci[0] if ci else None, link(vlink, reach="settled")),
                    "high": Cell(ci[1] if ci else None, link(vlink, reach="settled")),
                    "lift": Cell(lift, link(vlink, reach="settled"), tone=tone),
                    "p": Cell(
                        test.p_two_sided if test else None,
                        link(vlink, reach="settled"),
                        note=f"z = {test.z:.2f}" if test else "",
                    ),
                }
            )
            if key == chart_key and lift is not None and ci is not None and average:
                bars.append(
                    Bar(
                        label=_value_label(key, value),
                        value=lift,
                        link=link(vlink, reach="settled"),
                        low=ci[0] / average,
                        high=ci[1] / average,
                    )
                )
    table.total = {
        "attribute": Cell("All settled leads"),
        "value": Cell(""),
        "settled": Cell(total_n, link(base, reach="settled")),
        "reached": Cell(total_k, link(base, reach="reached")),
        "not_reached": Cell(total_n - total_k, link(base, reach="not_reached")),
        "rate": Cell(average, link(base, reach="settled")),
        "low": Cell(
            (metrics.wilson(total_k, total_n) or (None, None))[0], link(base, reach="settled")
        ),
        "high": Cell(
            (metrics.wilson(total_k, total_n) or (None, None))[1], link(base, reach="settled")
        ),
        "lift": Cell(1.0 if average else None, link(base, reach="settled")),
        "p": Cell(None, link(base, reach="settled")),
    }
    return Report(
        name=NAME,
        title=TITLE,
        description=DESCRIPTION,
        now=now,
        date_from=win.date_from,
        date_to=win.date_to,
        filters=ctx.described_filters(),
        tables=[table],
        chart=Chart(
            kind="bars",
            title=f"Lift of the reach rate by {_label(chart_key).lower()} (1.0 = average; "
            "whiskers: 95 % interval)",
            bars=bars,
            unit="ratio",
            reference=1.0,
            reference_label="average (1.0)",
            value_axis="Reach rate / the average reach rate (lift)",
            category_axis=_label(chart_key),
        ),
        notes=[
            "Settled: reached, or closed without being reached (unreachable, disqualified "
            "without a conversation); duplicates are left out. Open leads not yet reached "
            "are not counted either way.",
            "Custom attributes: add attribute=attributes.NAME.",
        ],
    )
