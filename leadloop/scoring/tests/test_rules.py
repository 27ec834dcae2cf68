"""The pure rules: points, breakdowns that sum, calibration, tiers, time-ordered splits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.scoring import rules, tuning

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)

SPEC = {
    "base": 40,
    "features": [
        {
            "name": "industry",
            "label": "Industry",
            "kind": "category",
            "points": {"Manufacturing": 12, "Retail": -6},
            "other": -2,
            "missing": -4,
        },
        {
            "name": "employees",
            "label": "Employees",
            "kind": "number",
            "edges": [50.0, 500.0],
            "bins": [-5, 8, 3],
            "missing": -1,
        },
    ],
    "calibration": {"a": -4.0, "b": 0.06},
    "tiers": [60, 45, 30],
}


def test_points_come_from_the_value_or_its_bin() -> None:
    scored = rules.score_lead(
        SPEC, {"industry": "Manufacturing", "employees": 120.0}, rules.Engagement(), NOW
    )
    lines = {line["factor"]: line["points"] for line in scored.breakdown}
    assert lines == {
        "Starting points": 40,
        "Industry: Manufacturing": 12,
        "Employees: 50 to under 500": 8,
    }
    assert scored.score == 60 and scored.tier == "A"


def test_unseen_and_missing_values_have_their_own_points() -> None:
    unseen = rules.score_lead(SPEC, {"industry": "Space mining"}, rules.Engagement(), NOW)
    lines = {line["factor"]: line["points"] for line in unseen.breakdown}
    assert lines["Industry: (other)"] == -2
    assert lines["Employees: (missing)"] == -1
    missing = rules.score_lead(SPEC, {}, rules.Engagement(), NOW)
    assert {line["factor"] for line in missing.breakdown} >= {"Industry: (missing)"}


def test_engagement_fades_with_time_and_speaks_plainly() -> None:
    fresh = rules.Engagement(connects=1, unanswered=3, resubmissions=1, last_at=NOW)
    lines = rules.engagement_lines(rules.DEFAULT_ENGAGEMENT, fresh, NOW)
    assert [(x["factor"], x["points"]) for x in lines] == [
        ("1 connected call or reply", 6),
        ("3 unanswered dials", -6),
        ("1 form re-submission", 4),
    ]
    old = rules.Engagement(connects=2, last_at=NOW - timedelta(days=60))
    [line] = rules.engagement_lines(rules.DEFAULT_ENGAGEMENT, old, NOW)
    assert line["factor"] == "2 connected calls or replies" and line["points"] == 3


@settings(max_examples=200, deadline=None)
@given(
    industry=st.sampled_from(["Manufacturing", "Retail", "Other", None]),
    employees=st.one_of(st.none(), st.floats(0, 1e6)),
    base=st.integers(-50, 150),
    connects=st.integers(0, 9),
    unanswered=st.integers(0, 30),
    resubmissions=st.integers(0, 5),
    days=st.integers(0, 400),
)
def test_the_breakdown_always_sums_to_a_score_within_0_100(
    industry: str | None,
    employees: float | None,
    base: int,
    connects: int,
    unanswered: int,
    resubmissions: int,
    days: int,
) -> None:
    spec = {**SPEC, "base": base}
    engagement = rules.Engagement(connects, unanswered, resubmissions, NOW - timedelta(days=days))
    scored = rules.score_lead(spec, {"industry": industry, "employees": employees}, engagement, NOW)
    assert 0 <= scored.score <= 100
    assert sum(line["points"] for line in scored.breakdown) == scored.score
    assert scored.tier == rules.tier_for(scored.score, SPEC["tiers"])


@given(
    a=st.floats(-10, 10),
    b=st.floats(-1, 1),
    scores=st.lists(st.integers(0, 100), min_size=2, max_size=20),
)
def test_the_calibrated_probability_never_falls_as_the_score_rises(
    a: float, b: float, scores: list[int]
) -> None:
    probabilities = [rules.probability({"a": a, "b": b}, s) for s in sorted(scores)]
    assert all(0 < p < 1 for p in probabilities)
    assert probabilities == sorted(probabilities)


def test_tier_cut_offs() -> None:
    cuts = [70, 50, 30]
    assert [rules.tier_for(s, cuts) for s in (100, 70, 69, 50, 49, 30, 29, 0)] == list("AABBCCDD")
    assert rules.tier_for(75) == "A" and rules.tier_for(24) == "D"


def test_calibration_fitted_on_outcomes_rises_with_the_score() -> None:
    rng = np.random.default_rng(3)
    points = rng.integers(0, 80, 2000).astype(float)
    y = (rng.random(2000) < 1 / (1 + np.exp(-(points - 40) / 10))).astype(int)
    cal = tuning.calibrate(points, y, np.ones(2000))
    assert cal["b"] > 0
    flat = tuning.calibrate(points, 1 - y, np.ones(2000))
    # A score that predicts the opposite gets no slope: the base rate, everywhere.
    assert flat["b"] == 0.0


@settings(max_examples=200, deadline=None)
@given(
    times=st.lists(st.integers(0, 50), min_size=1, max_size=80),
    fraction=st.floats(0.05, 0.6),
)
def test_the_time_ordered_split_never_puts_a_later_lead_before_an_earlier_one(
    times: list[int], fraction: float
) -> None:
    t = np.asarray(times, dtype=float)
    earlier, later = tuning.time_split(t, fraction)
    assert sorted([*earlier, *later]) == list(range(len(times)))
    if len(earlier) and len(later):
        assert t[earlier].max() < t[later].min()


def test_points_keep_the_fit_part_within_its_range() -> None:
    history = tuning.History.from_rows(
        [
            {"industry": v, "employees": float(e)}
            for v, e in zip("ABCAB" * 40, range(200), strict=True)
        ],
        np.array([1, 0, 0, 1, 1] * 40),
        np.arange(200, dtype=float),
    )
    settings_ = tuning.Settings(None, 1.0, 4, 5)
    spec = tuning.fit_points(history.rows, history.outcomes, history.times, settings_)
    scores = tuning.fit_points_only(spec, history.rows)
    assert scores.min() >= 0 and scores.max() <= 100
    spread = sum(
        max([*f.get("bins", list(f.get("points", {}).values())), f["missing"]])
        - min([*f.get("bins", list(f.get("points", {}).values())), f["missing"]])
        for f in spec["features"]
    )
    assert spread <= tuning.FIT_RANGE + len(spec["features"])


def test_top_factors_are_the_largest_each_way() -> None:
    breakdown = [
        {"factor": "Starting points", "points": 40, "part": "base"},
        {"factor": "Industry: Manufacturing", "points": 12, "part": "fit"},
        {"factor": "Country: DE", "points": 3, "part": "fit"},
        {"factor": "Title: cto", "points": 5, "part": "fit"},
        {"factor": "Channel: Webinar", "points": 1, "part": "fit"},
        {"factor": "3 unanswered dials", "points": -8, "part": "engagement"},
        {"factor": "Employees: (missing)", "points": -1, "part": "fit"},
    ]
    raised, lowered = rules.top_factors(breakdown)
    assert [x["factor"] for x in raised] == ["Industry: Manufacturing", "Title: cto", "Country: DE"]
    assert [x["factor"] for x in lowered] == ["3 unanswered dials", "Employees: (missing)"]
    assert rules.signed(-8) == "\u22128" and rules.signed(12) == "+12"


def test_lead_features_read_only_what_is_known_on_arrival() -> None:
    feats = rules.lead_features(
        {
            "industry": " Manufacturing ",
            "employees": 120,
            "title": "CTO",
            "email": "ann@gmail.com",
            "phone": "",
            "campaign": "Spring webinar",
            "channel": "webinar",
            "attributes": {"budget": True, "seats": 12, "fair": "Hannover", "empty": ""},
            "stage": "won",
        }
    )
    assert feats["industry"] == "Manufacturing" and feats["employees"] == 120.0
    assert feats["title"] == "cto" and feats["email_kind"] == "personal address"
    assert feats["phone_given"] is None
    assert feats["channel"] == "Webinar"
    assert feats["attributes.budget"] == "yes" and feats["attributes.seats"] == 12.0
    assert feats["attributes.empty"] is None
    assert "stage" not in feats


def test_the_search_scores_leads_exactly_as_the_rules_do() -> None:
    from leadloop.scoring.synthetic import drifting_history

    history = drifting_history(600, seed=2)
    settings_ = tuning.Settings(90.0, 0.3, 8, 5)
    enc = tuning.encoded(history, bins=8, min_count=5)
    spec, _ = tuning.fit_encoded(enc, history.outcomes, history.times, settings_)
    one_by_one = tuning.fit_points_only(spec, history.rows)
    # The one-hot matrix the search uses, and the columns the backtest scores.
    assert np.array_equal(tuning.matrix_points(spec, enc.x), one_by_one)
    assert np.array_equal(tuning.spec_points(spec, history), one_by_one)


@settings(max_examples=50, deadline=None)
@given(groups=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8))
def test_the_leak_check_s_auc_from_group_counts_is_roc_auc_of_the_leads(
    groups: list[tuple[int, int]],
) -> None:
    from sklearn.metrics import roc_auc_score

    positives = np.array([p for p, _ in groups], dtype=float)
    negatives = np.array([n for _, n in groups], dtype=float)
    if positives.sum() == 0 or negatives.sum() == 0:
        return
    # One lead per outcome in each group, scored by its group's rate.
    rate = positives / np.maximum(positives + negatives, 1)
    y = np.concatenate([np.ones(int(positives.sum())), np.zeros(int(negatives.sum()))])
    score = np.concatenate(
        [np.repeat(rate, positives.astype(int)), np.repeat(rate, negatives.astype(int))]
    )
    assert tuning._grouped_auc(positives, negatives) == pytest.approx(roc_auc_score(y, score))


def test_a_history_read_column_wise_gives_back_its_leads() -> None:
    rows: list[dict[str, rules.Value]] = [
        {"industry": "Retail", "employees": 12.0, "attributes.mixed": 3.0},
        {"industry": None, "employees": None, "attributes.mixed": "many"},
        {"industry": "Retail", "attributes.mixed": None},
    ]
    history = tuning.History.from_rows(rows, np.array([1, 0, 1]), np.arange(3.0))
    assert history.columns["employees"].kind == "number"
    # A field with text and numbers is read as text, as the rules read it.
    assert history.columns["attributes.mixed"].kind == "category"
    assert history.rows == [
        {"attributes.mixed": "3.0", "employees": 12.0, "industry": "Retail"},
        {"attributes.mixed": "many", "employees": None, "industry": None},
        {"attributes.mixed": None, "employees": None, "industry": "Retail"},
    ]
    later = history.take(np.array([2, 0]))
    assert later.rows == [history.rows[2], history.rows[0]]
