"""Scoring a lead with a model's spec: pure functions, no database.

A score is additive points so that it can be read: a starting number, plus
or minus points for each attribute value the lead has (its *fit*), plus or
minus points for what the lead did lately (its *engagement*: connected calls
and replies, form re-submissions, unanswered dials, fading with time). The
breakdown lists every line and always sums to the score; when the sum falls
outside 0-100 one more line says by how much it was held in. The calibration
turns the score into a probability of the model's target, and the model's
cut-offs (score quantiles of its history) into a tier A-D.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadloop.campaigns.choices import Channel

CHANNEL_LABELS: dict[str, str] = {str(c.value): str(c.label) for c in Channel}

Value = str | float | None

MISSING = "(missing)"
OTHER = "(other)"
# Without a model: the cut-offs of the tiers on the 0-100 score.
DEFAULT_TIERS = (75, 50, 25)
TIERS = ("A", "B", "C", "D")

# Engagement rules every model carries (a model may override them in its spec).
DEFAULT_ENGAGEMENT: dict[str, float] = {
    "connect": 6,
    "connect_cap": 2,
    "unanswered": -2,
    "unanswered_cap": 5,
    "resubmission": 4,
    "resubmission_cap": 2,
    "half_life_days": 30,
}

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "proton.me",
        "protonmail.com",
        "orange.fr",
        "free.fr",
        "qq.com",
        "163.com",
    }
)

LABELS = {
    "industry": "Industry",
    "employees": "Employees",
    "revenue_band": "Revenue band",
    "country": "Country",
    "region": "Region",
    "title": "Title",
    "campaign": "Campaign",
    "channel": "Channel",
    "email_kind": "Email",
    "phone_given": "Phone",
}
NUMBER_FIELDS = frozenset({"employees"})


def label_of(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    bare = name.removeprefix("attributes.")
    return bare.replace("_", " ").strip().capitalize() or name


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def lead_features(fields: Mapping[str, Any]) -> dict[str, Value]:
    """What a model may know of a lead when it arrives: person and company, source,
    typed custom attributes. Nothing that only happens later (stage, reasons, activity).

    `fields` has the lead's columns plus `campaign` (its name) and `channel`.
    """
    feats: dict[str, Value] = {}
    for name in ("industry", "revenue_band", "country", "region", "campaign"):
        feats[name] = _text(fields.get(name))
    channel = _text(fields.get("channel"))
    # Read by people on the lead page: the channel's name, not its code.
    feats["channel"] = CHANNEL_LABELS.get(channel, channel) if channel else None
    title = _text(fields.get("title"))
    feats["title"] = title.casefold() if title else None
    employees = fields.get("employees")
    feats["employees"] = float(employees) if isinstance(employees, int | float) else None
    email = _text(fields.get("email"))
    if email is None or "@" not in email:
        feats["email_kind"] = None
    else:
        domain = email.rsplit("@", 1)[1].casefold()
        feats["email_kind"] = "personal address" if domain in FREE_MAIL else "company address"
    feats["phone_given"] = "given" if _text(fields.get("phone")) else None
    attributes = fields.get("attributes") or {}
    if isinstance(attributes, Mapping):
        for key, value in attributes.items():
            feats[f"attributes.{key}"] = attribute_value(value)
    return feats


def attribute_value(value: Any) -> Value:
    """A custom attribute as a model reads it: numbers as numbers, yes/no and text as values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    return _text(value)


def number_label(edges: Sequence[float], index: int) -> str:
    def fmt(x: float) -> str:
        return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"

    if not edges:
        return "any"
    if index == 0:
        return f"under {fmt(edges[0])}"
    if index >= len(edges):
        return f"{fmt(edges[-1])} or more"
    return f"{fmt(edges[index - 1])} to under {fmt(edges[index])}"


def bin_of(feature: Mapping[str, Any], value: Value) -> tuple[str, int]:
    """The value's bin in a feature of the spec (its label) and its points."""
    if feature["kind"] == "number":
        if value is None or isinstance(value, str):
            return MISSING, int(feature.get("missing", 0))
        edges = feature["edges"]
        i = bisect_right(edges, float(value))
        return number_label(edges, i), int(feature["bins"][i])
    if value is None:
        return MISSING, int(feature.get("missing", 0))
    text = str(value)
    points = feature["points"]
    if text in points:
        return text, int(points[text])
    # A value the history never showed (or too rarely to learn from).
    return OTHER, int(feature.get("other", 0))


@dataclass(frozen=True)
class Engagement:
    """What the lead did: connects (calls connected, replies, meetings held), dials
    that reached no one, form re-submissions, and when the latest of them was."""

    connects: int = 0
    unanswered: int = 0
    resubmissions: int = 0
    last_at: datetime | None = None


def decay(last_at: datetime | None, now: datetime, half_life_days: float) -> float:
    if last_at is None or half_life_days <= 0:
        return 1.0
    days = max(0.0, (now - last_at).total_seconds() / 86400)
    return float(0.5 ** (days / half_life_days))


def engagement_lines(
    rules: Mapping[str, float], engagement: Engagement, now: datetime
) -> list[dict[str, Any]]:
    fade = decay(engagement.last_at, now, float(rules["half_life_days"]))
    lines: list[dict[str, Any]] = []
    for count, per, cap, one, many in (
        (
            engagement.connects,
            "connect",
            "connect_cap",
            "connected call or reply",
            "connected calls or replies",
        ),
        (
            engagement.unanswered,
            "unanswered",
            "unanswered_cap",
            "unanswered dial",
            "unanswered dials",
        ),
        (
            engagement.resubmissions,
            "resubmission",
            "resubmission_cap",
            "form re-submission",
            "form re-submissions",
        ),
    ):
        if count <= 0:
            continue
        points = round(min(count, int(rules[cap])) * float(rules[per]) * fade)
        if points:
            text = f"{count} {one if count == 1 else many}"
            lines.append({"factor": text, "points": points, "part": "engagement"})
    return lines


def probability(calibration: Mapping[str, float], score: float) -> float:
    """The calibrated probability of the target at a score (increasing, as b >= 0)."""
    z = float(calibration.get("a", 0.0)) + max(0.0, float(calibration.get("b", 0.0))) * score
    z = max(-35.0, min(35.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def tier_for(score: int, cuts: Sequence[float] = DEFAULT_TIERS) -> str:
    """A at or above the first cut-off, B the second, C the third, D below."""
    for tier, cut in zip(TIERS, cuts, strict=False):
        if score >= cut:
            return tier
    return TIERS[-1]


@dataclass(frozen=True)
class Scored:
    score: int
    probability: float
    tier: str
    breakdown: list[dict[str, Any]]


def score_lead(
    spec: Mapping[str, Any],
    features: Mapping[str, Value],
    engagement: Engagement,
    now: datetime,
) -> Scored:
    """The lead's score under a model's spec, with a breakdown that sums to it."""
    lines: list[dict[str, Any]] = [
        {"factor": "Starting points", "points": int(spec.get("base", 0)), "part": "base"}
    ]
    for feature in spec.get("features", []):
        value_label, points = bin_of(feature, features.get(feature["name"]))
        lines.append(
            {"factor": f"{feature['label']}: {value_label}", "points": points, "part": "fit"}
        )
    rules = {**DEFAULT_ENGAGEMENT, **spec.get("engagement", {})}
    lines.extend(engagement_lines(rules, engagement, now))
    raw = sum(int(line["points"]) for line in lines)
    score = max(0, min(100, raw))
    if score != raw:
        lines.append({"factor": "Held within 0-100", "points": score - raw, "part": "cap"})
    return Scored(
        score=score,
        probability=round(probability(spec.get("calibration", {}), score), 4),
        tier=tier_for(score, spec.get("tiers", DEFAULT_TIERS)),
        breakdown=lines,
    )


def top_factors(
    breakdown: Sequence[Mapping[str, Any]], n: int = 3
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The n lines that raised the score most and the n that lowered it most."""
    lines = [x for x in breakdown if x.get("part") in ("fit", "engagement")]
    raised = sorted((x for x in lines if x["points"] > 0), key=lambda x: -x["points"])[:n]
    lowered = sorted((x for x in lines if x["points"] < 0), key=lambda x: x["points"])[:n]
    return raised, lowered


def signed(points: int) -> str:
    """+12 / minus 8 (a real minus sign) / 0."""
    if points > 0:
        return f"+{points}"
    if points < 0:
        return f"\u2212{-points}"
    return "0"
