"""Learning a model's points from closed leads, and backtesting it: no database here.

The model is judged on leads that arrive after the history it learned from,
and outcome rates drift (one month's positive rate can be several times
another's). So every choice is made on time: the most recent leads are the
holdout the backtest reports on (never a random split), and inside the
training window its own most recent part chooses the settings (how much
recent outcomes weigh, the regularisation, how finely numbers are binned)
before the final fit. Rare values merge into "(other)", which is also what
a value never seen scores; a missing value has its own points. The fitted
logistic regression over one-hot bins becomes integer points (scaled
coefficients), and a logistic on the points, fitted on the most recent part
of the history, turns them into a probability.

Three baselines are fitted on the same history and scored on the same later
leads, each without those choices: naive Bayes over raw values (as Odoo's
predictive lead scoring does), a plain one-hot logistic regression, and
gradient boosting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from leadloop.scoring import rules
from leadloop.scoring.rules import MISSING, OTHER, Value

FIT_RANGE = 80
HOLDOUT_FRACTION = 0.2
VALIDATION_FRACTION = 0.25
MIN_CLOSED = 100
MIN_EACH = 10
# A feature must be present on this share of the history to be learned from.
MIN_PRESENT = 0.01
# A feature that alone separates the outcomes this well is the outcome in disguise.
LEAK_AUC = 0.97
HALF_LIVES: tuple[float | None, ...] = (None, 365.0, 90.0)
CS = (0.03, 0.1, 0.3, 1.0)
BIN_COUNTS = (4, 8)
# A value seen on fewer than this share of the window merges into "(other)".
RARE_SHARES = (0.002, 0.01)
SECONDS_PER_DAY = 86400.0

Progress = Callable[[str, float], None]


class TuningRefused(ValueError):
    """The history cannot make a model (too few outcomes, one class only); says why."""


@dataclass
class History:
    """Closed leads as a model sees them: features at arrival, outcome, arrival time."""

    rows: list[dict[str, Value]]
    outcomes: np.ndarray
    times: np.ndarray  # seconds since the epoch

    def take(self, index: np.ndarray) -> History:
        return History([self.rows[i] for i in index], self.outcomes[index], self.times[index])

    def __len__(self) -> int:
        return len(self.rows)


def check_history(history: History, target: str) -> None:
    n = len(history)
    positives = int(history.outcomes.sum()) if n else 0
    if n < MIN_CLOSED or positives < MIN_EACH or n - positives < MIN_EACH:
        raise TuningRefused(
            f"too few closed leads for target '{target}': tuning needs at least {MIN_CLOSED} "
            f"closed leads with at least {MIN_EACH} of each outcome; there are {n} "
            f"({positives} {target}, {n - positives} not)"
        )


def time_split(times: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the earlier part and of the most recent `fraction` of the leads.

    Leads that arrived at the same moment fall on the same side, so every
    earlier lead arrived strictly before every later one: nothing leaks back.
    """
    order = np.argsort(times, kind="stable")
    n = len(order)
    cut = min(n, max(1, math.ceil(n * (1 - fraction))))
    if cut < n:
        boundary = times[order[cut]]
        while cut > 0 and times[order[cut - 1]] == boundary:
            cut -= 1
    return order[:cut], order[cut:]


# -- encoding ---------------------------------------------------------------


@dataclass
class Feature:
    name: str
    kind: str  # "category" | "number"
    levels: list[str] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)

    def level_of(self, value: Value) -> int:
        if self.kind == "number":
            if value is None or isinstance(value, str):
                return len(self.levels) - 1  # (missing), last
            return int(np.searchsorted(self.edges, float(value), side="right"))
        if value is None:
            return self.levels.index(MISSING)
        text = str(value)
        return self._index.get(text, self._other)

    def prepare(self) -> None:
        if self.kind == "category":
            self._index = {v: i for i, v in enumerate(self.levels)}
            self._other = self._index[OTHER]


def _is_number(value: Value) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def build_features(
    rows: Sequence[Mapping[str, Value]], *, bins: int, min_count: int
) -> list[Feature]:
    """The features worth learning from, with their bins, from the training rows only."""
    names = sorted({name for row in rows for name in row})
    n = len(rows)
    features: list[Feature] = []
    for name in names:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if len(present) < max(1, MIN_PRESENT * n):
            continue
        if all(_is_number(v) for v in present):
            numbers = np.asarray(present, dtype=float)
            low, high = float(numbers.min()), float(numbers.max())
            if low == high:
                continue
            cut = np.quantile(numbers, np.linspace(0, 1, bins + 1)[1:-1])
            # An edge at the minimum would leave the first bin empty.
            edges = sorted({float(x) for x in cut if x > low}) or [high]
            levels = [rules.number_label(edges, i) for i in range(len(edges) + 1)] + [MISSING]
            features.append(Feature(name, "number", levels, edges))
            continue
        counts: dict[str, int] = {}
        for v in present:
            counts[str(v)] = counts.get(str(v), 0) + 1
        kept = sorted(v for v, c in counts.items() if c >= min_count)
        if len(kept) + (len(present) > sum(counts[v] for v in kept)) + (len(present) < n) < 2:
            continue
        feature = Feature(name, "category", [*kept, OTHER, MISSING])
        features.append(feature)
    for feature in features:
        feature.prepare()
    return features


def encode(features: Sequence[Feature], rows: Sequence[Mapping[str, Value]]) -> sparse.csr_matrix:
    """One column per bin of every feature, one 1 per feature and row."""
    offsets = np.cumsum([0] + [len(f.levels) for f in features])
    n, k = len(rows), len(features)
    cols = np.empty((n, k), dtype=np.int64)
    for j, feature in enumerate(features):
        name, base = feature.name, offsets[j]
        cols[:, j] = [base + feature.level_of(row.get(name)) for row in rows]
    data = np.ones(n * k, dtype=np.float64)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    return sparse.csr_matrix((data, cols.ravel(), indptr), shape=(n, int(offsets[-1])))


def recency_weights(times: np.ndarray, half_life_days: float | None) -> np.ndarray:
    if half_life_days is None or len(times) == 0:
        return np.ones(len(times))
    age = (times.max() - times) / SECONDS_PER_DAY
    weights: np.ndarray = 0.5 ** (age / half_life_days)
    return weights / weights.mean()


# -- the model as points ------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    half_life_days: float | None
    c: float
    bins: int
    min_count: int
    # How fast the calibration forgets: its own half-life, chosen on the later leads'
    # Brier score (base rates drift faster, or slower, than what separates leads).
    calibration_days: float | None = None
    # What a value never seen scores like: the latest leads' values ("recent") or the
    # whole window's ("average"); chosen with the calibration.
    unseen: str = "recent"

    def as_dict(self) -> dict[str, Any]:
        return {
            "half_life_days": self.half_life_days,
            "C": self.c,
            "bins": self.bins,
            "min_count": self.min_count,
            "calibration_half_life_days": self.calibration_days,
            "unseen_values": self.unseen,
        }


def _fit_logistic(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, c: float
) -> LogisticRegression:
    model = LogisticRegression(C=c, max_iter=500, solver="lbfgs")
    model.fit(x, y, sample_weight=w)
    return model


def points_spec(
    features: Sequence[Feature], coef: np.ndarray, counts: np.ndarray, recent: np.ndarray
) -> dict[str, Any]:
    """Scaled coefficients as integer points around each feature's average, so that the
    fit points of any lead lie in 0..FIT_RANGE (before rounding).

    `counts` and `recent` are each bin's leads in the window and in its most recent
    part. A value never seen (and a missing one, if none was missing) scores like the
    latest leads' values did: new campaigns replace recent ones, not the average of two
    years ago.
    """
    spans, means, per = [], [], []
    start = 0
    for feature in features:
        k = len(feature.levels)
        c = coef[start : start + k].astype(float).copy()
        n, r = counts[start : start + k], recent[start : start + k]
        start += k
        unseen = [k - 1] if feature.kind == "number" else [k - 2, k - 1]
        typical = float((r * c).sum() / r.sum()) if r.sum() > 0 else 0.0
        for level in unseen:
            if n[level] == 0:
                c[level] = typical
        means.append(float((n * c).sum() / max(1.0, float(n.sum()))))
        spans.append(float(c.max() - c.min()))
        per.append(c)
    total = sum(spans)
    scale = FIT_RANGE / total if total > 1e-9 else 0.0
    base = round(scale * sum(m - float(c.min()) for m, c in zip(means, per, strict=True)))
    if scale == 0.0:
        base = FIT_RANGE // 2
    out = []
    for feature, mean, c in zip(features, means, per, strict=True):
        pts = [round(scale * (float(v) - mean)) for v in c]
        entry: dict[str, Any] = {
            "name": feature.name,
            "label": rules.label_of(feature.name),
            "kind": feature.kind,
            "missing": pts[-1],
        }
        if feature.kind == "number":
            entry["edges"] = feature.edges
            entry["bins"] = pts[:-1]
        else:
            entry["points"] = dict(zip(feature.levels[:-2], pts[:-2], strict=True))
            entry["other"] = pts[-2]
        out.append(entry)
    return {"base": base, "features": out, "scale": scale}


def fit_points(
    rows: Sequence[Mapping[str, Value]], y: np.ndarray, times: np.ndarray, settings: Settings
) -> dict[str, Any]:
    """Points (no calibration yet) learned with the given settings."""
    return _fit(rows, y, times, settings)[0]


@dataclass
class Encoded:
    """A window's bins and one-hot matrix (and a later slice's), reused by every fit of
    the search that bins the same way: encoding is the slow part, fitting is not."""

    features: list[Feature]
    x: sparse.csr_matrix
    counts: np.ndarray
    recent: np.ndarray
    later: sparse.csr_matrix | None = None


def encoded(
    rows: Sequence[Mapping[str, Value]],
    times: np.ndarray,
    *,
    bins: int,
    min_count: int,
    later: Sequence[Mapping[str, Value]] | None = None,
) -> Encoded:
    features = build_features(rows, bins=bins, min_count=min_count)
    x = encode(features, rows)
    _, latest = time_split(times, VALIDATION_FRACTION)
    return Encoded(
        features,
        x,
        np.asarray(x.sum(axis=0)).ravel(),
        np.asarray(x[latest].sum(axis=0)).ravel(),
        encode(features, later) if later is not None else None,
    )


def fit_encoded(
    enc: Encoded, y: np.ndarray, times: np.ndarray, settings: Settings
) -> dict[str, Any]:
    if not enc.features:
        return {"base": FIT_RANGE // 2, "features": [], "scale": 0.0}
    model = _fit_logistic(enc.x, y, recency_weights(times, settings.half_life_days), settings.c)
    typical = enc.recent if settings.unseen == "recent" else enc.counts
    return points_spec(enc.features, model.coef_[0], enc.counts, typical)


def _fit(
    rows: Sequence[Mapping[str, Value]], y: np.ndarray, times: np.ndarray, settings: Settings
) -> tuple[dict[str, Any], list[Feature]]:
    enc = encoded(rows, times, bins=settings.bins, min_count=settings.min_count)
    return fit_encoded(enc, y, times, settings), enc.features


def matrix_points(spec: Mapping[str, Any], x: sparse.csr_matrix) -> np.ndarray:
    """Fit points of the rows of a one-hot matrix (the spec's own bins)."""
    if not spec["features"]:
        return np.full(x.shape[0], float(spec["base"]))
    column_points: list[float] = []
    for entry in spec["features"]:
        if entry["kind"] == "number":
            column_points += [*entry["bins"], entry["missing"]]
        else:
            column_points += [*entry["points"].values(), entry["other"], entry["missing"]]
    raw = x @ np.asarray(column_points, dtype=float) + spec["base"]
    return np.clip(raw, 0, 100)


def fast_points(
    spec: Mapping[str, Any], features: Sequence[Feature], rows: Sequence[Mapping[str, Value]]
) -> np.ndarray:
    """`fit_points_only` through the one-hot matrix: the same scores, for the search."""
    if not features:
        return np.full(len(rows), float(spec["base"]))
    return matrix_points(spec, encode(features, rows))


def probabilities(calibration: Mapping[str, float], points: np.ndarray) -> np.ndarray:
    """`rules.probability` of many scores at once."""
    a = float(calibration.get("a", 0.0))
    b = max(0.0, float(calibration.get("b", 0.0)))
    z = np.clip(a + b * points, -35.0, 35.0)
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


def fit_points_only(spec: Mapping[str, Any], rows: Sequence[Mapping[str, Value]]) -> np.ndarray:
    """Each row's score under the spec at arrival (no engagement yet)."""
    now = datetime.now(UTC)
    none = rules.Engagement()
    return np.array([rules.score_lead(spec, row, none, now).score for row in rows], dtype=float)


def calibrate(points: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """A logistic on the score (a + b * score), b never negative: probability rises with it."""
    rate = float(np.clip(np.average(y, weights=w), 1e-4, 1 - 1e-4))
    flat = {"a": math.log(rate / (1 - rate)), "b": 0.0}
    if len(np.unique(y)) < 2 or np.ptp(points) == 0:
        return flat
    model = LogisticRegression(C=100.0, max_iter=500)
    model.fit(points.reshape(-1, 1), y, sample_weight=w)
    b = float(model.coef_[0][0])
    if b <= 0:
        return flat
    return {"a": float(model.intercept_[0]), "b": b}


def tier_cuts(points: np.ndarray) -> list[float]:
    """A is the top 10 % of the history's scores, B the next 20 %, C the next 30 %."""
    if len(points) == 0:
        return list(rules.DEFAULT_TIERS)
    qs = np.quantile(points, [0.9, 0.7, 0.4])
    cuts = [math.ceil(q) for q in qs]
    # Strictly falling, so each tier exists.
    for i in range(1, 3):
        cuts[i] = min(cuts[i], cuts[i - 1] - 1)
    return cuts


def learn(history: History, settings: Settings) -> dict[str, Any]:
    """A complete spec from a history: points, a calibration weighted to the most recent
    outcomes (by the chosen calibration half-life), tier cut-offs."""
    spec, features = _fit(history.rows, history.outcomes, history.times, settings)
    points = fast_points(spec, features, history.rows)
    w = recency_weights(history.times, settings.calibration_days)
    spec["calibration"] = calibrate(points, history.outcomes, w)
    spec["tiers"] = tier_cuts(points)
    spec["engagement"] = dict(rules.DEFAULT_ENGAGEMENT)
    spec["settings"] = settings.as_dict()
    return spec


def rolling_folds(history: History, folds: int = 2) -> list[tuple[History, History]]:
    """Time-ordered folds inside a window: learn from everything before a slice, judge on
    the slice; the most recent slice first, then the one before it."""
    out: list[tuple[History, History]] = []
    window = history
    for _ in range(folds):
        earlier, later = time_split(window.times, VALIDATION_FRACTION)
        train, test = window.take(earlier), window.take(later)
        if len(np.unique(train.outcomes)) < 2 or len(np.unique(test.outcomes)) < 2:
            break
        out.append((train, test))
        window = train
        if len(window) < MIN_CLOSED:
            break
    return out


def choose_settings(
    history: History, progress: Progress | None = None
) -> tuple[Settings, list[dict[str, Any]]]:
    """The settings whose models rank later leads best (mean AUC over rolling time-ordered
    folds, each learned from the leads before its slice); ties go to the better Brier."""
    folds = rolling_folds(history)
    rare = sorted({max(5, int(share * len(history))) for share in RARE_SHARES})
    tried: list[dict[str, Any]] = []
    grid = [(h, c, b, m) for h in HALF_LIVES for c in CS for b in BIN_COUNTS for m in rare]
    best: tuple[float, float] | None = None
    chosen = Settings(None, 0.3, BIN_COUNTS[0], rare[0])
    if not folds:
        return chosen, tried
    cache: dict[tuple[int, int, int], Encoded] = {}
    for i, (half_life, c, bins, min_count) in enumerate(grid):
        settings = Settings(half_life, c, bins, min_count)
        aucs, briers = [], []
        for k, (train, test) in enumerate(folds):
            binning = (k, bins, min_count)
            if binning not in cache:
                cache[binning] = encoded(
                    train.rows, train.times, bins=bins, min_count=min_count, later=test.rows
                )
            enc = cache[binning]
            assert enc.later is not None
            spec = fit_encoded(enc, train.outcomes, train.times, settings)
            pts = matrix_points(spec, enc.later)
            aucs.append(float(roc_auc_score(test.outcomes, pts)) if np.ptp(pts) > 0 else 0.5)
            cal = calibrate(
                matrix_points(spec, enc.x),
                train.outcomes,
                recency_weights(train.times, half_life),
            )
            p = probabilities(cal, pts)
            briers.append(float(np.mean((p - test.outcomes) ** 2)))
        auc, brier = float(np.mean(aucs)), float(np.mean(briers))
        tried.append({**settings.as_dict(), "auc": round(auc, 4), "brier": round(brier, 5)})
        key = (round(auc, 3), -brier)
        if best is None or key > best:
            best, chosen = key, settings
        if progress is not None:
            progress("choosing settings", (i + 1) / len(grid))
    return _calibration(folds, chosen), tried


CALIBRATION_HALF_LIVES: tuple[float | None, ...] = (None, 365.0, 180.0, 90.0, 45.0, 20.0)


def _calibration(folds: list[tuple[History, History]], settings: Settings) -> Settings:
    """The calibration half-life and the scoring of unseen values whose probabilities,
    fitted on each fold's window, score its later leads best (mean Brier); the longest
    half-life unless a shorter one is clearly better."""
    best, chosen = math.inf, settings
    for unseen in ("recent", "average"):
        candidate = replace(settings, unseen=unseen)
        scored = []
        for train, test in folds:
            enc = encoded(
                train.rows,
                train.times,
                bins=settings.bins,
                min_count=settings.min_count,
                later=test.rows,
            )
            assert enc.later is not None
            spec = fit_encoded(enc, train.outcomes, train.times, candidate)
            scored.append((train, test, matrix_points(spec, enc.x), matrix_points(spec, enc.later)))
        for days in CALIBRATION_HALF_LIVES:
            briers = []
            for train, test, seen, later in scored:
                cal = calibrate(seen, train.outcomes, recency_weights(train.times, days))
                p = probabilities(cal, later)
                briers.append(float(np.mean((p - test.outcomes) ** 2)))
            brier = float(np.mean(briers))
            if brier < best - 1e-4:
                best, chosen = brier, replace(candidate, calibration_days=days)
    return chosen


# -- refusing the outcome in disguise -----------------------------------------


def leaks(history: History) -> list[dict[str, Any]]:
    """Features that alone separate the outcomes almost perfectly: known only after it."""
    found: list[dict[str, Any]] = []
    if len(np.unique(history.outcomes)) < 2:
        return found
    features = build_features(history.rows, bins=8, min_count=1)
    for feature in features:
        levels = np.array([feature.level_of(row.get(feature.name)) for row in history.rows])
        k = len(feature.levels)
        pos = np.bincount(levels, weights=history.outcomes, minlength=k)
        cnt = np.bincount(levels, minlength=k)
        rate = np.divide(pos, np.maximum(cnt, 1))
        auc = roc_auc_score(history.outcomes, rate[levels])
        if auc >= LEAK_AUC:
            found.append(
                {
                    "attribute": feature.name,
                    "label": rules.label_of(feature.name),
                    "auc": round(float(auc), 4),
                    "why": f"{rules.label_of(feature.name)} alone separates the outcomes "
                    f"(AUC {auc:.2f}): it looks set only once the outcome was known, so it "
                    "was left out",
                }
            )
    return found


# -- measuring ----------------------------------------------------------------


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """ROC AUC, Brier, top-decile lift, a reliability table and the lift by decile."""
    n = len(y)
    rate = float(y.mean()) if n else 0.0
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None
    order = np.argsort(-p, kind="stable")
    deciles = []
    for d in range(10):
        part = order[d * n // 10 : (d + 1) * n // 10]
        r = float(y[part].mean()) if len(part) else 0.0
        deciles.append(
            {
                "decile": d + 1,
                "count": len(part),
                "rate": round(r, 4),
                "lift": round(r / rate, 3) if rate else None,
            }
        )
    reliability = []
    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, 9)
    for b in range(10):
        mask = which == b
        if mask.any():
            reliability.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "count": int(mask.sum()),
                    "predicted": round(float(p[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4),
                }
            )
    return {
        "count": n,
        "rate": round(rate, 4),
        "auc": None if auc is None else round(auc, 4),
        "brier": round(float(np.mean((p - y) ** 2)), 5) if n else None,
        "top_decile_lift": deciles[0]["lift"],
        "lift_by_decile": deciles,
        "reliability": reliability,
    }


def spec_probabilities(spec: Mapping[str, Any], rows: Sequence[Mapping[str, Value]]) -> np.ndarray:
    cal = spec.get("calibration", {})
    return np.array([rules.probability(cal, s) for s in fit_points_only(spec, rows)])


# -- baselines ----------------------------------------------------------------


def _raw(value: Value) -> str:
    return MISSING if value is None else str(value)


def naive_bayes(train: History, test: History) -> np.ndarray:
    """Odoo-style: per field value, its frequency among won and among lost (Laplace
    smoothed), multiplied over the fields; values never seen are skipped."""
    names = sorted({name for row in train.rows for name in row})
    y = train.outcomes
    n1, n0 = float(y.sum()), float(len(y) - y.sum())
    counts: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for row, outcome in zip(train.rows, y, strict=True):
        for name in names:
            counts[name].setdefault(_raw(row.get(name)), [0.0, 0.0])[int(outcome)] += 1
    logit = np.full(len(test), math.log((n1 + 1) / (n0 + 1)))
    for i, row in enumerate(test.rows):
        for name in names:
            found = counts[name].get(_raw(row.get(name)))
            if found is None:
                continue
            cell = found
            k = len(counts[name])
            logit[i] += math.log((cell[1] + 1) / (n1 + k)) - math.log((cell[0] + 1) / (n0 + k))
    return 1 / (1 + np.exp(-np.clip(logit, -35, 35)))


def _kinds(train: History) -> tuple[list[str], set[str]]:
    """The fields the baselines read (present at least once) and which are numbers."""
    present: dict[str, list[Value]] = {}
    for row in train.rows:
        for name, value in row.items():
            if value is not None:
                present.setdefault(name, []).append(value)
    names = sorted(present)
    numeric = {n for n in names if all(_is_number(v) for v in present[n])}
    return names, numeric


def plain_logistic(train: History, test: History) -> np.ndarray:
    """One-hot of every raw value, numbers standardised (mean for missing), C=1, no weights."""
    names, numeric = _kinds(train)
    cats = [n for n in names if n not in numeric]
    nums = [n for n in names if n in numeric]
    index: dict[tuple[str, str], int] = {}
    for row in train.rows:
        for n in cats:
            index.setdefault((n, _raw(row.get(n))), len(index))
    stats = {}
    for n in nums:
        vals = np.array([row[n] for row in train.rows if row.get(n) is not None], dtype=float)
        stats[n] = (float(vals.mean()) if len(vals) else 0.0, float(vals.std()) or 1.0)

    def matrix(rows: Sequence[Mapping[str, Value]]) -> sparse.csr_matrix:
        r, c, v = [], [], []
        width = len(index)
        for i, row in enumerate(rows):
            for n in cats:
                j = index.get((n, _raw(row.get(n))))
                if j is not None:
                    r.append(i)
                    c.append(j)
                    v.append(1.0)
            for k, n in enumerate(nums):
                mean, std = stats[n]
                value = row.get(n)
                r.append(i)
                c.append(width + k)
                v.append(0.0 if value is None else (float(value) - mean) / std)
        return sparse.csr_matrix((v, (r, c)), shape=(len(rows), width + len(nums)))

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(matrix(train.rows), train.outcomes)
    return np.asarray(model.predict_proba(matrix(test.rows))[:, 1])


def gradient_boosting(train: History, test: History) -> np.ndarray:
    """Histogram gradient boosting with its defaults, categories as ordinal codes."""
    names, numeric = _kinds(train)
    codes: dict[str, dict[str, int]] = {n: {} for n in names if n not in numeric}
    for row in train.rows:
        for n, known in codes.items():
            known.setdefault(_raw(row.get(n)), len(known))

    def matrix(rows: Sequence[Mapping[str, Value]]) -> np.ndarray:
        out = np.full((len(rows), len(names)), np.nan)
        for i, row in enumerate(rows):
            for j, n in enumerate(names):
                value = row.get(n)
                if n in numeric:
                    if value is not None:
                        out[i, j] = float(value)
                else:
                    code = codes[n].get(_raw(value))
                    if code is not None:
                        out[i, j] = code
        return out

    model = HistGradientBoostingClassifier(random_state=0)
    model.fit(matrix(train.rows), train.outcomes)
    return np.asarray(model.predict_proba(matrix(test.rows))[:, 1])


BASELINES: Mapping[str, Callable[[History, History], np.ndarray]] = {
    "naive_bayes": naive_bayes,
    "logistic": plain_logistic,
    "gradient_boosting": gradient_boosting,
}


# -- the whole tuning ---------------------------------------------------------


def value_table(spec: Mapping[str, Any], history: History) -> list[dict[str, Any]]:
    """Per attribute value: how many leads, their outcome rate, its lift, its points."""
    overall = float(history.outcomes.mean()) if len(history) else 0.0
    table = []
    for feature in spec.get("features", []):
        seen: dict[str, list[float]] = {}
        for row, y in zip(history.rows, history.outcomes, strict=True):
            label, points = rules.bin_of(feature, row.get(feature["name"]))
            cell = seen.setdefault(label, [0.0, 0.0, float(points)])
            cell[0] += 1
            cell[1] += float(y)
        for label, (count, pos, pts) in sorted(seen.items(), key=lambda kv: -kv[1][2]):
            rate = pos / count if count else 0.0
            table.append(
                {
                    "attribute": feature["name"],
                    "label": feature["label"],
                    "value": label,
                    "count": int(count),
                    "rate": round(rate, 4),
                    "lift": round(rate / overall, 3) if overall else None,
                    "points": int(pts),
                }
            )
    return table


def tune(
    history: History,
    *,
    target: str,
    current: Mapping[str, Any] | None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """A proposal's spec and its backtest against the current spec and the baselines."""
    check_history(history, target)
    # One thread: the fits are many and small, and on a busy machine OpenMP's threads
    # wait on each other far longer than they save (five times slower on two cores).
    with threadpool_limits(1):
        return _tune(history, target=target, current=current, progress=progress)


def _tune(
    history: History,
    *,
    target: str,
    current: Mapping[str, Any] | None,
    progress: Progress | None,
) -> dict[str, Any]:
    say = progress or (lambda step, fraction: None)
    refused = leaks(history)
    if refused:
        drop = {r["attribute"] for r in refused}
        history = History(
            [{k: v for k, v in row.items() if k not in drop} for row in history.rows],
            history.outcomes,
            history.times,
        )
    train_idx, hold_idx = time_split(history.times, HOLDOUT_FRACTION)
    train, holdout = history.take(train_idx), history.take(hold_idx)
    if len(np.unique(train.outcomes)) < 2:
        raise TuningRefused(
            f"the history before the holdout has one outcome only for target '{target}'"
        )
    say("choosing settings", 0.0)
    settings, tried = choose_settings(train, say)
    say("backtesting", 0.0)
    backtested = learn(train, settings)
    proposal_figures = metrics(holdout.outcomes, spec_probabilities(backtested, holdout.rows))
    current_figures = (
        metrics(holdout.outcomes, spec_probabilities(current, holdout.rows))
        if current is not None
        else None
    )
    baselines = {}
    for i, (name, fit) in enumerate(BASELINES.items()):
        say("baselines", i / len(BASELINES))
        p = fit(train, holdout)
        figures = metrics(holdout.outcomes, p)
        baselines[name] = {k: figures[k] for k in ("auc", "brier", "top_decile_lift")}
    say("final fit on the whole history", 0.0)
    spec = learn(history, settings)
    iso = lambda t: datetime.fromtimestamp(float(t), UTC).isoformat().replace("+00:00", "Z")  # noqa: E731
    backtest = {
        "target": target,
        "settings": settings.as_dict(),
        "tried": tried,
        "history": {
            "count": len(history),
            "positives": int(history.outcomes.sum()),
            "from": iso(history.times.min()),
            "to": iso(history.times.max()),
        },
        "holdout": {
            "count": len(holdout),
            "from": iso(holdout.times.min()),
            "to": iso(holdout.times.max()),
        },
        "proposal": proposal_figures,
        "current": current_figures,
        "baselines": baselines,
        "values": value_table(spec, history),
        "refused": refused,
    }
    say("done", 1.0)
    return {"spec": spec, "backtest": backtest}
