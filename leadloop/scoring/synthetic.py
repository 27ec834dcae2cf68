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

from leadloop.scoring.rules import Value
from leadloop.scoring.tuning import History

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


def drifting_history(n: int, seed: int = 0) -> History:
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
    rows: list[dict[str, Value]] = []
    outcomes = np.zeros(n, dtype=int)
    for i in range(n):
        t = times[i] / DAYS  # 0..1 over the two years
        industry = industries[rng.integers(len(industries))]
        channel = CHANNELS[rng.integers(len(CHANNELS))]
        ci = int(rng.choice(len(countries), p=country_p))
        employees = float(round(math.exp(rng.normal(4.0, 1.5))))
        band_i = min(3, max(0, int((math.log(employees + 1) - 1) / 2)))
        quality = rng.normal(0, 1)
        z = offset[months[i]] + INDUSTRIES[industry] + country_effect[ci]
        z += 0.9 * math.exp(-((math.log10(employees + 1) - 2.3) ** 2) / 0.3) - 0.3
        z += {
            "web_form": 0.4,
            "webinar": -0.6 + 1.4 * t,
            "trade_show": 0.2,
            "purchased_list": 0.3 - 1.3 * t,
            "referral": 0.9,
        }[channel]
        budget = rng.random()
        budget_value: str | None = "yes" if budget < 0.3 else "no" if budget < 0.7 else None
        z += {"yes": 0.7, "no": -0.2, None: 0.0}[budget_value]
        z += 0.4 * quality
        outcomes[i] = int(rng.random() < 1 / (1 + math.exp(-z)))
        quarter = int(times[i] // 91)
        revenue: str | None = BANDS[band_i] if rng.random() > 0.25 + 0.15 * (quality < 0) else None
        rows.append(
            {
                "industry": industry if rng.random() > 0.05 else None,
                "channel": channel,
                "campaign": f"{channel} Q{quarter}",
                "country": countries[ci],
                "employees": employees if rng.random() > 0.1 else None,
                "revenue_band": revenue,
                "title": titles[int(rng.choice(len(titles), p=title_p))],
                "attributes.budget_known": budget_value,
            }
        )
    return History(rows, outcomes, START + times * 86400.0)
