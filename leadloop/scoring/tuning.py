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

Everything works on columns (integer codes, float arrays), never a dict per
lead: at a million closed leads with 30 attributes the whole tuning then
takes about 40 CPU seconds and 1 GB peak (measured), where dicts alone would
hold about 2 GB (200 MB per 100,000 leads, measured at 100,000).
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
# A category with a value of its own on this share of the leads that have it is an
# identifier (or free text), not something the next lead can share. High, so that a
# column of mostly unique values with a few common ones (job titles) is still learned
# from, its rare values merged.
IDENTIFIER_SHARE = 0.9
HALF_LIVES: tuple[float | None, ...] = (None, 365.0, 90.0)
CS = (0.03, 0.1, 0.3, 1.0)
BIN_COUNTS = (4, 8)
# A value seen on fewer than this share of the window merges into "(other)".
RARE_SHARES = (0.002, 0.01)
SECONDS_PER_DAY = 86400.0
# The settings are chosen on at most this many leads of the window (see `search_window`).
SEARCH_LEADS = 100_000

Progress = Callable[[str, float], None]


class TuningRefused(ValueError):
    """The history cannot make a model (too few outcomes, one class only); says why."""


@dataclass
class Column:
    """One attribute over the history, column-wise: a million leads' values cost a few
    megabytes as codes or numbers, not a dict per lead (dicts of 30 attributes took
    200 MB per 100,000 leads; these 30 columns take about 130 MB per million).

    A category keeps integer codes into `values` (-1 where missing); a number keeps
    floats (NaN where missing). An attribute is a number only if every value present is.
    """

    kind: str  # "category" | "number"
    data: np.ndarray
    values: list[str] = field(default_factory=list)

    def take(self, index: np.ndarray) -> Column:
        return Column(self.kind, self.data[index], self.values)

    def missing(self) -> np.ndarray:
        return np.isnan(self.data) if self.kind == "number" else self.data < 0

    def value(self, i: int) -> Value:
        x = self.data[i]
        if self.kind == "number":
            return None if math.isnan(x) else float(x)
        return None if x < 0 else self.values[x]


def _is_number(value: Value) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def column_of(values: Sequence[Value]) -> Column:
    """A column from one attribute's values in lead order."""
    present = [v for v in values if v is not None]
    if present and all(_is_number(v) for v in present):
        data = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        return Column("number", data)
    index: dict[str, int] = {}
    codes = np.fromiter(
        (-1 if v is None else index.setdefault(str(v), len(index)) for v in values),
        dtype=np.int32,
        count=len(values),
    )
    return Column("category", codes, list(index))


@dataclass
class History:
    """Closed leads as a model sees them: features at arrival (column-wise), outcome,
    arrival time."""

    columns: dict[str, Column]
    outcomes: np.ndarray
    times: np.ndarray  # seconds since the epoch

    @classmethod
    def from_rows(
        cls, rows: Sequence[Mapping[str, Value]], outcomes: np.ndarray, times: np.ndarray
    ) -> History:
        names = sorted({name for row in rows for name in row})
        columns = {name: column_of([row.get(name) for row in rows]) for name in names}
        return cls(columns, np.asarray(outcomes), np.asarray(times, dtype=float))

    @property
    def rows(self) -> list[dict[str, Value]]:
        """The leads as dicts (for the few callers that score one lead at a time)."""
        return [
            {name: column.value(i) for name, column in self.columns.items()}
            for i in range(len(self))
        ]

    def take(self, index: np.ndarray) -> History:
        return History(
            {name: column.take(index) for name, column in self.columns.items()},
            self.outcomes[index],
            self.times[index],
        )

    def without(self, names: set[str]) -> History:
        kept = {name: column for name, column in self.columns.items() if name not in names}
        return History(kept, self.outcomes, self.times)

    def __len__(self) -> int:
        return len(self.outcomes)


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


def as_category(column: Column) -> Column:
    """A number column read as text values (a spec that took the attribute for text)."""
    if column.kind == "category":
        return column
    missing = np.isnan(column.data)
    unique, inverse = np.unique(np.where(missing, 0.0, column.data), return_inverse=True)
    codes = np.where(missing, -1, inverse).astype(np.int32)
    return Column("category", codes, [str(float(u)) for u in unique])


def _lookup(column: Column, table: Mapping[str, int], unseen: int, missing: int) -> np.ndarray:
    """Per lead, `table`'s number for its value (`unseen` if absent, `missing` if none):
    one dictionary look-up per distinct value, then one numpy gather."""
    column = as_category(column)
    known = [table.get(v, unseen) for v in column.values]
    return np.asarray([*known, missing], dtype=np.int64)[column.data]


@dataclass
class Feature:
    name: str
    kind: str  # "category" | "number"
    levels: list[str] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)

    def levels_of(self, column: Column | None, n: int) -> np.ndarray:
        """Each lead's level: its bin, its value, "(other)" or "(missing)" (the last)."""
        missing = len(self.levels) - 1
        if column is None or (self.kind == "number" and column.kind != "number"):
            return np.full(n, missing, dtype=np.int32)
        if self.kind == "number":
            out = np.searchsorted(np.asarray(self.edges), column.data, side="right")
            out[np.isnan(column.data)] = missing
            return out.astype(np.int32)
        index = {v: i for i, v in enumerate(self.levels[:-2])}
        return _lookup(column, index, missing - 1, missing).astype(np.int32)


def build_features(history: History, *, bins: int, min_count: int) -> list[Feature]:
    """The features worth learning from, with their bins, from the training leads only."""
    n = len(history)
    features: list[Feature] = []
    for name, column in sorted(history.columns.items()):
        if column.kind == "number":
            numbers = column.data[~np.isnan(column.data)]
            if len(numbers) < max(1, MIN_PRESENT * n):
                continue
            low, high = float(numbers.min()), float(numbers.max())
            if low == high:
                continue
            cut = np.quantile(numbers, np.linspace(0, 1, bins + 1)[1:-1])
            # An edge at the minimum would leave the first bin empty.
            edges = sorted({float(x) for x in cut if x > low}) or [high]
            levels = [rules.number_label(edges, i) for i in range(len(edges) + 1)] + [MISSING]
            features.append(Feature(name, "number", levels, edges))
            continue
        codes = column.data
        counts = np.bincount(codes[codes >= 0], minlength=len(column.values))
        present = int(counts.sum())
        if present < max(1, MIN_PRESENT * n):
            continue
        common = counts >= max(1, min_count)
        kept = sorted(column.values[i] for i in np.flatnonzero(common))
        if len(kept) + (present > int(counts[common].sum())) + (present < n) < 2:
            continue
        features.append(Feature(name, "category", [*kept, OTHER, MISSING]))
    return features


def encode(features: Sequence[Feature], history: History) -> sparse.csr_matrix:
    """One column per bin of every feature, one 1 per feature and lead, built straight as
    CSR arrays (int32 indices: no upcast copy while n * features < 2**31)."""
    offsets = np.cumsum([0] + [len(f.levels) for f in features])
    n, k = len(history), len(features)
    index = np.int32 if n * k < 2**31 - 1 else np.int64
    cols = np.empty((n, k), dtype=index)
    for j, feature in enumerate(features):
        cols[:, j] = feature.levels_of(history.columns.get(feature.name), n) + offsets[j]
    data = np.ones(n * k, dtype=np.float64)
    indptr = np.arange(0, n * k + 1, k, dtype=index) if k else np.zeros(n + 1, dtype=index)
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
    x: sparse.csr_matrix,
    y: np.ndarray,
    w: np.ndarray,
    c: float,
    start: LogisticRegression | None = None,
) -> LogisticRegression:
    """lbfgs on the sparse one-hot matrix; `start` (the same matrix's fit at a nearby C)
    is where it starts: along the search's C path that cut the iterations about threefold."""
    model = LogisticRegression(C=c, max_iter=500, solver="lbfgs", warm_start=start is not None)
    if start is not None:
        model.coef_ = start.coef_.copy()
        model.intercept_ = start.intercept_.copy()
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
    history = History.from_rows(rows, y, times)
    return fit_encoded(
        encoded(history, bins=settings.bins, min_count=settings.min_count),
        history.outcomes,
        history.times,
        settings,
    )[0]


@dataclass
class Encoded:
    """A window's bins and one-hot matrix (and a later slice's), reused by every fit of
    the search that bins the same way."""

    features: list[Feature]
    x: sparse.csr_matrix
    counts: np.ndarray
    recent: np.ndarray
    later: sparse.csr_matrix | None = None


def encoded(
    history: History, *, bins: int, min_count: int, later: History | None = None
) -> Encoded:
    features = build_features(history, bins=bins, min_count=min_count)
    x = encode(features, history)
    _, latest = time_split(history.times, VALIDATION_FRACTION)
    return Encoded(
        features,
        x,
        np.asarray(x.sum(axis=0)).ravel(),
        np.asarray(x[latest].sum(axis=0)).ravel(),
        encode(features, later) if later is not None else None,
    )


def fit_encoded(
    enc: Encoded,
    y: np.ndarray,
    times: np.ndarray,
    settings: Settings,
    start: LogisticRegression | None = None,
) -> tuple[dict[str, Any], LogisticRegression | None]:
    if not enc.features:
        return {"base": FIT_RANGE // 2, "features": [], "scale": 0.0}, None
    w = recency_weights(times, settings.half_life_days)
    model = _fit_logistic(enc.x, y, w, settings.c, start)
    typical = enc.recent if settings.unseen == "recent" else enc.counts
    return points_spec(enc.features, model.coef_[0], enc.counts, typical), model


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


def spec_points(spec: Mapping[str, Any], history: History) -> np.ndarray:
    """Each lead's fit score under a spec at arrival (no engagement yet), column by column:
    what `rules.score_lead` gives one lead at a time (`fit_points_only`), for a whole
    history at once."""
    n = len(history)
    total = np.full(n, float(spec.get("base", 0)))
    for entry in spec.get("features", []):
        column = history.columns.get(entry["name"])
        missing = float(entry.get("missing", 0))
        if entry["kind"] == "number":
            if column is None or column.kind != "number":
                total += missing
                continue
            bins = np.asarray([*entry["bins"], missing], dtype=float)
            at = np.searchsorted(np.asarray(entry["edges"], dtype=float), column.data, "right")
            at[np.isnan(column.data)] = len(bins) - 1
            total += bins[at]
            continue
        if column is None:
            total += missing
            continue
        values = list(entry["points"])
        pts = np.asarray([*entry["points"].values(), entry.get("other", 0), missing], float)
        at = _lookup(column, {v: i for i, v in enumerate(values)}, len(values), len(values) + 1)
        total += pts[at]
    return np.clip(total, 0, 100)


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
    """A logistic on the score (a + b * score), b never negative: probability rises with it.

    Scores take few values, so it is fitted on one row per score and outcome with the
    weights summed: the same weighted loss, exactly, on ~200 rows instead of a million.
    """
    rate = float(np.clip(np.average(y, weights=w), 1e-4, 1 - 1e-4))
    flat = {"a": math.log(rate / (1 - rate)), "b": 0.0}
    if len(np.unique(y)) < 2 or np.ptp(points) == 0:
        return flat
    values, inverse = np.unique(points, return_inverse=True)
    m = len(values)
    positive = np.bincount(inverse, weights=w * y, minlength=m)
    negative = np.bincount(inverse, weights=w * (1 - y), minlength=m)
    x = np.concatenate([values, values]).reshape(-1, 1)
    outcome = np.concatenate([np.ones(m, dtype=int), np.zeros(m, dtype=int)])
    weight = np.concatenate([positive, negative])
    keep = weight > 0
    model = LogisticRegression(C=100.0, max_iter=500)
    model.fit(x[keep], outcome[keep], sample_weight=weight[keep])
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
    enc = encoded(history, bins=settings.bins, min_count=settings.min_count)
    spec, _ = fit_encoded(enc, history.outcomes, history.times, settings)
    points = matrix_points(spec, enc.x)
    del enc
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


def search_window(history: History) -> History:
    """The leads the settings are chosen on: all of them up to SEARCH_LEADS, else that many
    drawn evenly at random (fixed seed) and kept in time order, so the search still spans
    the whole window and its drift. At a million leads the 100 fits of the search took
    minutes; on a sample of 100,000 they take seconds, and the chosen settings are then
    fitted once on every lead."""
    n = len(history)
    if n <= SEARCH_LEADS:
        return history
    chosen = np.random.default_rng(0).choice(n, SEARCH_LEADS, replace=False)
    return history.take(np.sort(chosen))


def choose_settings(
    history: History, progress: Progress | None = None
) -> tuple[Settings, list[dict[str, Any]]]:
    """The settings whose models rank later leads best (mean AUC over rolling time-ordered
    folds, each learned from the leads before its slice); ties go to the better Brier.

    Rare values are merged by their share of the window, so a threshold chosen on a
    sample of the window scales to the whole of it.
    """
    window = search_window(history)
    folds = rolling_folds(window)
    rare = sorted({max(5, int(share * len(window))) for share in RARE_SHARES})
    tried: list[dict[str, Any]] = []
    grid = [(h, c, b, m) for h in HALF_LIVES for c in CS for b in BIN_COUNTS for m in rare]
    chosen = Settings(None, 0.3, BIN_COUNTS[0], rare[0])
    if not folds:
        return _scaled(chosen, history, window), tried
    aucs: dict[tuple[Any, ...], list[float]] = {key: [] for key in grid}
    briers: dict[tuple[Any, ...], list[float]] = {key: [] for key in grid}
    done, total = 0, len(grid) * len(folds)
    for train, test in folds:
        for bins in BIN_COUNTS:
            for min_count in rare:
                enc = encoded(train, bins=bins, min_count=min_count, later=test)
                assert enc.later is not None
                for half_life in HALF_LIVES:
                    w = recency_weights(train.times, half_life)
                    start = None
                    for c in sorted(CS):
                        key = (half_life, c, bins, min_count)
                        spec, start = fit_encoded(
                            enc, train.outcomes, train.times, Settings(*key), start
                        )
                        pts = matrix_points(spec, enc.later)
                        auc = roc_auc_score(test.outcomes, pts) if np.ptp(pts) > 0 else 0.5
                        aucs[key].append(float(auc))
                        cal = calibrate(matrix_points(spec, enc.x), train.outcomes, w)
                        p = probabilities(cal, pts)
                        briers[key].append(float(np.mean((p - test.outcomes) ** 2)))
                        done += 1
                        if progress is not None:
                            progress("choosing settings", done / total)
    best: tuple[float, float] | None = None
    for key in grid:
        settings = Settings(*key)
        auc, brier = float(np.mean(aucs[key])), float(np.mean(briers[key]))
        tried.append({**settings.as_dict(), "auc": round(auc, 4), "brier": round(brier, 5)})
        rank = (round(auc, 3), -brier)
        if best is None or rank > best:
            best, chosen = rank, settings
    return _scaled(_calibration(folds, chosen), history, window), tried


def _scaled(settings: Settings, history: History, window: History) -> Settings:
    """The rare-value threshold chosen on the search window, for the whole history."""
    if len(window) == len(history):
        return settings
    return replace(
        settings, min_count=max(5, round(settings.min_count * len(history) / len(window)))
    )


CALIBRATION_HALF_LIVES: tuple[float | None, ...] = (None, 365.0, 180.0, 90.0, 45.0, 20.0)


def _calibration(folds: list[tuple[History, History]], settings: Settings) -> Settings:
    """The calibration half-life and the scoring of unseen values whose probabilities,
    fitted on each fold's window, score its later leads best (mean Brier); the longest
    half-life unless a shorter one is clearly better."""
    best, chosen = math.inf, settings
    encodings = [
        (train, test, encoded(train, bins=settings.bins, min_count=settings.min_count, later=test))
        for train, test in folds
    ]
    for unseen in ("recent", "average"):
        candidate = replace(settings, unseen=unseen)
        scored = []
        for train, test, enc in encodings:
            assert enc.later is not None
            spec, _ = fit_encoded(enc, train.outcomes, train.times, candidate)
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


def _grouped_auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """ROC AUC of scoring each lead by its group's outcome rate, from the groups' counts
    (what `roc_auc_score` gives on the leads, without sorting a million of them)."""
    count = positives + negatives
    seen = count > 0
    rate = positives[seen] / count[seen]
    groups, inverse = np.unique(rate, return_inverse=True)
    pos = np.bincount(inverse, weights=positives[seen], minlength=len(groups))
    neg = np.bincount(inverse, weights=negatives[seen], minlength=len(groups))
    below = np.cumsum(neg) - neg
    return float(((pos * below).sum() + 0.5 * (pos * neg).sum()) / (pos.sum() * neg.sum()))


def leaks(history: History) -> list[dict[str, Any]]:
    """Features left out, each with why: those that alone separate the outcomes almost
    perfectly (known only after it), and identifiers."""
    found: list[dict[str, Any]] = []
    y = history.outcomes
    if len(np.unique(y)) < 2:
        return found
    n = len(history)
    for feature in build_features(history, bins=8, min_count=1):
        levels = feature.levels_of(history.columns[feature.name], n)
        k = len(feature.levels)
        counts = np.bincount(levels, minlength=k)
        pos = np.bincount(levels, weights=y, minlength=k)
        neg = counts - pos
        auc = _grouped_auc(pos, neg)
        # A value of its own on most leads (a record id, free text) separates any
        # outcomes on the history it is counted on, and says nothing of the next lead.
        present = n - int(counts[-1])
        singles = int((counts[:-2] == 1).sum()) if feature.kind == "category" else 0
        if present and singles >= IDENTIFIER_SHARE * present:
            why = (
                f"a value of its own on {singles:,} of the {present:,} leads that have it: "
                "an identifier or free text, which says nothing about the next lead"
            )
        elif auc >= LEAK_AUC:
            why = (
                f"it alone separates the outcomes (AUC {auc:.2f}): it looks set only once "
                "the outcome was known"
            )
        else:
            continue
        found.append(
            {
                "attribute": feature.name,
                "label": rules.label_of(feature.name),
                "auc": round(float(auc), 4),
                "why": why,
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


def spec_probabilities(
    spec: Mapping[str, Any], leads: History | Sequence[Mapping[str, Value]]
) -> np.ndarray:
    history = leads if isinstance(leads, History) else _unlabelled(leads)
    return probabilities(spec.get("calibration", {}), spec_points(spec, history))


def _unlabelled(rows: Sequence[Mapping[str, Value]]) -> History:
    return History.from_rows(rows, np.zeros(len(rows), dtype=int), np.zeros(len(rows)))


# -- baselines ----------------------------------------------------------------


def _keys(train: Column, test: Column | None, n_test: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Raw values as integer keys both sides share: 0 is missing, 1.. the train side's
    values, -1 a value only the test side has. Every distinct number is its own value."""
    if test is None:
        empty = np.full(n_test, np.nan) if train.kind == "number" else np.full(n_test, -1)
        test = Column(train.kind, empty, [])
    if train.kind == "number" and test.kind == "number":
        a, b = train.data, test.data
        known = np.unique(a[~np.isnan(a)])
        k_train = np.where(np.isnan(a), 0, np.searchsorted(known, a) + 1)
        at = np.searchsorted(known, b)
        same = np.zeros(len(b), dtype=bool)
        inside = at < len(known)
        same[inside] = known[at[inside]] == b[inside]
        k_test = np.where(np.isnan(b), 0, np.where(same, at + 1, -1))
        return k_train, k_test, len(known) + 1
    tr, te = as_category(train), as_category(test)
    if te.values is tr.values:
        mapped = te.data.astype(np.int64)
    else:
        mapped = _lookup(te, {v: i for i, v in enumerate(tr.values)}, -2, -1)
    return tr.data.astype(np.int64) + 1, np.where(mapped == -2, -1, mapped + 1), len(tr.values) + 1


def naive_bayes(train: History, test: History) -> np.ndarray:
    """Odoo-style: per field value, its frequency among won and among lost (Laplace
    smoothed), multiplied over the fields; values never seen are skipped."""
    y = train.outcomes.astype(float)
    n1, n0 = float(y.sum()), float(len(y) - y.sum())
    logit = np.full(len(test), math.log((n1 + 1) / (n0 + 1)))
    for name, column in sorted(train.columns.items()):
        k_train, k_test, m = _keys(column, test.columns.get(name), len(test))
        pos = np.bincount(k_train, weights=y, minlength=m)
        count = np.bincount(k_train, minlength=m)
        seen = count > 0
        k = int(seen.sum())
        part = np.log((pos + 1) / (n1 + k)) - np.log((count - pos + 1) / (n0 + k))
        logit += np.append(np.where(seen, part, 0.0), 0.0)[k_test]
    return 1 / (1 + np.exp(-np.clip(logit, -35, 35)))


def _read(train: History) -> list[str]:
    """The fields the baselines read: present at least once in the training leads."""
    return [name for name, c in sorted(train.columns.items()) if not c.missing().all()]


def plain_logistic(train: History, test: History) -> np.ndarray:
    """One-hot of every raw value, numbers standardised (mean for missing), C=1, no weights."""
    names = _read(train)
    cats = [n for n in names if train.columns[n].kind == "category"]
    nums = [n for n in names if train.columns[n].kind == "number"]
    # Each category's one-hot columns: the values the training leads have (missing is one).
    width = 0
    hot: list[tuple[np.ndarray, np.ndarray]] = []
    for name in cats:
        k_train, k_test, m = _keys(train.columns[name], test.columns.get(name), len(test))
        seen = np.bincount(k_train, minlength=m) > 0
        where = np.append(np.where(seen, np.cumsum(seen) - 1 + width, -1), -1)
        hot.append((where[k_train], where[k_test]))
        width += int(seen.sum())
    stats = []
    for name in nums:
        data = train.columns[name].data
        values = data[~np.isnan(data)]
        stats.append((float(values.mean()), float(values.std()) or 1.0))

    def matrix(side: History, first: bool) -> sparse.csr_matrix:
        n, k = len(side), len(cats) + len(nums)
        cols = np.zeros((n, k), dtype=np.int32)
        vals = np.zeros((n, k), dtype=np.float64)
        for j, (on_train, on_test) in enumerate(hot):
            at = on_train if first else on_test
            known = at >= 0
            cols[known, j] = at[known]
            vals[known, j] = 1.0
        for i, (name, (mean, std)) in enumerate(zip(nums, stats, strict=True)):
            column = side.columns.get(name)
            data = column.data if column is not None and column.kind == "number" else None
            cols[:, len(cats) + i] = width + i
            if data is not None:
                vals[:, len(cats) + i] = np.where(np.isnan(data), 0.0, (data - mean) / std)
        indptr = np.arange(0, n * k + 1, k, dtype=np.int32) if k else np.zeros(n + 1, np.int32)
        x = sparse.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=(n, width + len(nums)))
        x.eliminate_zeros()
        return x

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(matrix(train, True), train.outcomes)
    return np.asarray(model.predict_proba(matrix(test, False))[:, 1])


def gradient_boosting(train: History, test: History) -> np.ndarray:
    """Histogram gradient boosting with its defaults, categories as ordinal codes."""
    names = _read(train)
    x_train = np.full((len(train), len(names)), np.nan)
    x_test = np.full((len(test), len(names)), np.nan)
    for j, name in enumerate(names):
        column, other = train.columns[name], test.columns.get(name)
        if column.kind == "number":
            x_train[:, j] = column.data
            if other is not None and other.kind == "number":
                x_test[:, j] = other.data
            continue
        k_train, k_test, m = _keys(column, other, len(test))
        seen = np.append(np.bincount(k_train, minlength=m) > 0, False)
        x_train[:, j] = k_train
        x_test[:, j] = np.where(seen[k_test], k_test, np.nan)
    model = HistGradientBoostingClassifier(random_state=0)
    model.fit(x_train, train.outcomes)
    del x_train
    return np.asarray(model.predict_proba(x_test)[:, 1])


BASELINES: Mapping[str, Callable[[History, History], np.ndarray]] = {
    "naive_bayes": naive_bayes,
    "logistic": plain_logistic,
    "gradient_boosting": gradient_boosting,
}


# -- the whole tuning ---------------------------------------------------------


def value_table(spec: Mapping[str, Any], history: History) -> list[dict[str, Any]]:
    """Per attribute value: how many leads, their outcome rate, its lift, its points."""
    overall = float(history.outcomes.mean()) if len(history) else 0.0
    y = history.outcomes.astype(float)
    n = len(history)
    table = []
    for entry in spec.get("features", []):
        column = history.columns.get(entry["name"])
        if entry["kind"] == "number":
            edges = entry["edges"]
            labels = [rules.number_label(edges, i) for i in range(len(edges) + 1)] + [MISSING]
            points = [*entry["bins"], entry["missing"]]
            at = np.full(n, len(labels) - 1)
            if column is not None and column.kind == "number":
                at = np.searchsorted(np.asarray(edges, dtype=float), column.data, "right")
                at[np.isnan(column.data)] = len(labels) - 1
        else:
            values = list(entry["points"])
            labels = [*values, OTHER, MISSING]
            points = [*entry["points"].values(), entry["other"], entry["missing"]]
            at = np.full(n, len(labels) - 1)
            if column is not None:
                at = _lookup(
                    column, {v: i for i, v in enumerate(values)}, len(values), len(values) + 1
                )
        count = np.bincount(at, minlength=len(labels))
        pos = np.bincount(at, weights=y, minlength=len(labels))
        for i in sorted(np.flatnonzero(count), key=lambda i: -points[i]):
            rate = float(pos[i] / count[i])
            table.append(
                {
                    "attribute": entry["name"],
                    "label": entry["label"],
                    "value": labels[i],
                    "count": int(count[i]),
                    "rate": round(rate, 4),
                    "lift": round(rate / overall, 3) if overall else None,
                    "points": int(points[i]),
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
        history = history.without(drop)
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
    proposal_figures = metrics(holdout.outcomes, spec_probabilities(backtested, holdout))
    current_figures = (
        metrics(holdout.outcomes, spec_probabilities(current, holdout))
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
