"""A synthetic history of closed leads whose outcomes drift, for tests and the bench.

What makes it hard in the ways real CRM outcome data are:

* the base rate drifts: each month's positive rate is a random walk on the
  log-odds plus a season, so one month's rate is often three times another's;
* effects drift: what a channel is worth changes over the two years
  (webinars get better, purchased lists worse);
* numbers matter non-monotonically (mid-size companies convert best), and
  revenue is missing on a third of the leads, more often on poor ones;
* a long tail of noise: hundreds of job titles that mean nothing, a country
  list with a long tail;
* new values arrive: every quarter brings new campaigns the history never saw.

`drifting_history(n, seed)` returns rows (what leadloop's `lead_features`
gives), outcomes and arrival times, the same for the same seed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from leadloop.scoring.tuning import Column, History

START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
DAYS = 730
INDUSTRIES = {
    "Manufacturing": 0.8,
    "Software": 0.5,
    "Retail": -0.4,
    "Healthcare": 0.2,
    "Education": -0.8,
    "Finance": 0.3,
    "Logistics": 0.0,
    "Public sector": -0.6,
}
CHANNELS = ("web_form", "webinar", "trade_show", "purchased_list", "referral")
BANDS = ("<1M", "1-10M", "10-50M", "50M+")


CHANNEL_BASE = np.array([0.4, -0.6, 0.2, 0.3, 0.9])  # per CHANNELS, at the start
CHANNEL_SLOPE = np.array([0.0, 1.4, 0.0, -1.3, 0.0])  # change over the two years


def drifting_history(n: int, seed: int = 0) -> History:
    """Column-wise: the draws are made lead by lead in the order they always were (so a
    seed gives the same history as ever, and the tests' data sets stay what they were),
    but only the random numbers are drawn per lead; the rest is computed on arrays and
    kept as codes (as dicts, 100,000 leads took 200 MB; as columns a million take
    about 130 MB)."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0, DAYS, n))
    months = (times // 30.4).astype(int)
    walk = np.cumsum(rng.normal(0, 0.35, months.max() + 1))
    season = 0.5 * np.sin(np.arange(months.max() + 1) * 2 * math.pi / 12)
    offset = -2.0 + walk - walk.mean() + season
    industries = list(INDUSTRIES)
    countries = [f"C{i:02d}" for i in range(40)]
    country_effect = rng.normal(0, 0.35, len(countries))
    country_p = 1 / np.arange(1, len(countries) + 1) ** 1.1
    country_p /= country_p.sum()
    titles = [f"title {i}" for i in range(400)]
    title_p = 1 / np.arange(1, len(titles) + 1) ** 0.8
    title_p /= title_p.sum()
    # Per lead, in the original order: industry, channel, the country's uniform (what
    # `rng.choice(p=...)` draws), log-employees, quality, budget, the outcome's uniform,
    # revenue known, industry known, employees known, the title's uniform.
    draws = np.empty((n, 11))
    integers, normal, uniform = rng.integers, rng.normal, rng.random
    n_industries, n_channels = len(industries), len(CHANNELS)
    for i in range(n):
        draws[i] = (
            integers(n_industries),
            integers(n_channels),
            uniform(),
            normal(4.0, 1.5),
            normal(0, 1),
            uniform(),
            uniform(),
            uniform(),
            uniform(),
            uniform(),
            uniform(),
        )
    industry = draws[:, 0].astype(int)
    channel = draws[:, 1].astype(int)
    country = _pick(country_p, draws[:, 2])
    employees = np.round(np.exp(draws[:, 3]))
    band = np.clip(((np.log(employees + 1) - 1) / 2).astype(int), 0, 3)
    quality = draws[:, 4]
    budget = draws[:, 5]
    t = times / DAYS  # 0..1 over the two years
    z = offset[months] + np.array(list(INDUSTRIES.values()))[industry] + country_effect[country]
    z += 0.9 * np.exp(-((np.log10(employees + 1) - 2.3) ** 2) / 0.3) - 0.3
    z += CHANNEL_BASE[channel] + CHANNEL_SLOPE[channel] * t
    budget_code = np.where(budget < 0.3, 0, np.where(budget < 0.7, 1, -1))  # yes, no, unknown
    z += np.where(budget_code == 0, 0.7, np.where(budget_code == 1, -0.2, 0.0))
    z += 0.4 * quality
    outcomes = (draws[:, 6] < 1 / (1 + np.exp(-z))).astype(int)
    revenue_known = draws[:, 7] > 0.25 + 0.15 * (quality < 0)
    industry_known = draws[:, 8] > 0.05
    employees_known = draws[:, 9] > 0.1
    title = _pick(title_p, draws[:, 10])
    quarters = int(times.max() // 91) + 1 if n else 1
    quarter = (times // 91).astype(int)
    del draws

    def category(codes: np.ndarray, values: list[str], known: np.ndarray | None = None) -> Column:
        data = codes.astype(np.int32)
        if known is not None:
            data[~known] = -1
        return Column("category", data, values)

    columns = {
        "industry": category(industry, industries, industry_known),
        "channel": category(channel, list(CHANNELS)),
        "campaign": category(
            channel * quarters + quarter, [f"{c} Q{q}" for c in CHANNELS for q in range(quarters)]
        ),
        "country": category(country, countries),
        "employees": Column("number", np.where(employees_known, employees, np.nan)),
        "revenue_band": category(band, list(BANDS), revenue_known),
        "title": category(title, titles),
        "attributes.budget_known": category(budget_code, ["yes", "no"]),
    }
    return History(columns, outcomes, START + times * 86400.0)


def _pick(p: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """What `rng.choice(len(p), p=p)` returns for the uniform it draws."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return np.searchsorted(cdf, uniforms, side="right")
