"""A model as the doors show it: one JSON-ready object (CLI `--format json`, the API)."""

from __future__ import annotations

from typing import Any

from leadloop.scoring.models import ScoringModel
from leadloop.scoring.selectors import points_table

FIGURES = ("auc", "brier", "top_decile_lift")


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def model_summary(model: ScoringModel, *, points: bool = False) -> dict[str, Any]:
    bt = model.backtest or {}
    out: dict[str, Any] = {
        "id": model.pk,
        "version": model.version,
        "target": model.target,
        "status": model.status,
        "created_at": _iso(model.created_at),
        "created_by": model.created_by.username if model.created_by else None,
        "applied_at": _iso(model.applied_at),
        "applied_by": model.applied_by.username if model.applied_by else None,
        "backtest": {
            "history": bt.get("history"),
            "holdout": bt.get("holdout"),
            "settings": bt.get("settings"),
            "proposal": bt.get("proposal"),
            "current": bt.get("current"),
            "current_version": bt.get("current_version"),
            "baselines": bt.get("baselines", {}),
            "refused": bt.get("refused", []),
        },
        "values": bt.get("values", []),
    }
    if points:
        out["base"] = model.spec.get("base", 0)
        out["points"] = points_table(model.spec)
        out["tiers"] = model.spec.get("tiers", [])
        out["calibration"] = model.spec.get("calibration", {})
        out["engagement"] = model.spec.get("engagement", {})
    return out
