"""The scoring page (marketing, managers, admins): models, proposals and their backtests.

It shows the active model's points, each proposal's backtest beside the
model that was active when it was tuned and the three baselines, a
reliability chart and a lift-by-decile chart of the chosen model, a form to
tune (run by the worker, with a progress bar) and an Apply button, with the
history of who applied what when. The views only translate: learning and
applying are `lifecycle.scoring`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.lib.errors import Conflict
from leadloop.lib.pages import current_user, page
from leadloop.lib.times import parse_utc
from leadloop.lifecycle import scoring
from leadloop.scoring import selectors
from leadloop.scoring.choices import ModelStatus, Target
from leadloop.scoring.models import ScoringModel, TuningRun
from leadloop.scoring.permissions import may_score

FIGURE_ROWS = (
    ("auc", "ROC AUC", "higher is better"),
    ("brier", "Brier score", "lower is better"),
    ("top_decile_lift", "Top-decile lift", "higher is better"),
)
BASELINE_LABELS = {
    "naive_bayes": "Naive Bayes (Odoo-style)",
    "logistic": "Plain logistic regression",
    "gradient_boosting": "Gradient boosting",
}


def _scorer(request: HttpRequest) -> User:
    user = current_user(request)
    if not may_score(user):
        raise PermissionDenied
    return user


def reliability_chart(reliability: list[dict[str, Any]], width: int = 360) -> SafeString:
    """Observed rate against predicted probability per bin; the diagonal is perfect."""
    if not reliability:
        return mark_safe("")
    size, pad = width - 40, 30
    top = max(max(r["predicted"] for r in reliability), max(r["observed"] for r in reliability))
    top = min(1.0, max(0.05, top * 1.1))

    def xy(p: float, o: float) -> tuple[float, float]:
        return pad + size * p / top, pad + size - size * o / top

    parts = [
        f'<path d="M{pad} {pad + size}H{pad + size}M{pad} {pad}V{pad + size}" class="axis"/>',
        f'<path d="M{pad} {pad + size}L{pad + size} {pad}" class="reference"/>',
        f'<text x="{pad + size}" y="{pad + size + 18}" text-anchor="end" class="label">'
        f"predicted {top:.0%}</text>",
        f'<text x="{pad - 4}" y="{pad + 4}" text-anchor="end" class="label">{top:.0%}</text>',
    ]
    for r in reliability:
        x, y = xy(r["predicted"], r["observed"])
        radius = 3 + min(6, r["count"] ** 0.25)
        title = (
            f"{r['bin']}: {r['count']} leads, predicted {r['predicted']:.1%}, "
            f"observed {r['observed']:.1%}"
        )
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" class="point">'
            f"<title>{escape(title)}</title></circle>"
        )
    return _svg(width, size + 2 * pad, "Reliability: observed against predicted", "".join(parts))


def lift_chart(deciles: list[dict[str, Any]], width: int = 360) -> SafeString:
    """The outcome rate of each tenth of the holdout, best scores first, as lift."""
    if not deciles:
        return mark_safe("")
    height, pad = 200, 30
    top = max([d["lift"] or 0 for d in deciles] + [1.0]) * 1.1
    slot = (width - 2 * pad) / len(deciles)
    parts = [f'<path d="M{pad} {height - pad}H{width - pad}" class="axis"/>']
    one = height - pad - (height - 2 * pad) / top
    parts.append(f'<path d="M{pad} {one:.1f}H{width - pad}" class="reference"/>')
    for i, d in enumerate(deciles):
        lift = d["lift"] or 0
        h = (height - 2 * pad) * lift / top
        x = pad + i * slot + slot * 0.15
        title = f"decile {d['decile']}: {d['count']} leads, rate {d['rate']:.1%}, lift {lift:.2f}"
        parts.append(
            f'<rect x="{x:.1f}" y="{height - pad - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" class="bar"><title>{escape(title)}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - pad + 14}" text-anchor="middle" '
            f'class="label">{d["decile"]}</text>'
        )
    return _svg(width, height, "Lift by decile of the score (1.0 = average)", "".join(parts))


def _svg(width: int, height: float, title: str, body: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart scoring-chart" role="img" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _figures(model: ScoringModel) -> list[dict[str, Any]]:
    """The proposal's figures beside the current model's and the baselines', per measure."""
    bt = model.backtest or {}
    columns = [("This model", bt.get("proposal"))]
    current = bt.get("current")
    version = bt.get("current_version")
    columns.append((f"Active then (v{version})" if version else "Active then (none)", current))
    for key, label in BASELINE_LABELS.items():
        columns.append((label, (bt.get("baselines") or {}).get(key)))
    rows = []
    for key, label, hint in FIGURE_ROWS:
        rows.append(
            {
                "label": label,
                "hint": hint,
                "cells": [(f or {}).get(key) if f else None for _, f in columns],
            }
        )
    return [{"header": [name for name, _ in columns], "rows": rows}]


@require_GET
@page
def scoring_page(request: HttpRequest) -> HttpResponse:
    user = _scorer(request)
    models = list(selectors.models()[:50])
    active = next((m for m in models if m.status == ModelStatus.ACTIVE), None)
    chosen_id = request.GET.get("model", "")
    chosen = None
    if chosen_id.isdigit():
        chosen = next((m for m in models if m.pk == int(chosen_id)), None)
    if chosen is None:
        chosen = next((m for m in models if m.status == ModelStatus.PROPOSAL), None) or active
    tuning = TuningRun.objects.select_related("proposal").order_by("-created_at", "-id").first()
    bt = (chosen.backtest or {}) if chosen is not None else {}
    proposal_figures = bt.get("proposal") or {}
    context = {
        "user_may_apply": may_score(user),
        "models": models,
        "active": active,
        "active_points": selectors.points_table(active.spec) if active else [],
        "rescoring": selectors.rescoring_progress(active) if active else None,
        "chosen": chosen,
        "figures": _figures(chosen)[0] if chosen is not None and bt else None,
        "values": bt.get("values", []),
        "refused": bt.get("refused", []),
        "reliability": reliability_chart(proposal_figures.get("reliability", [])),
        "lift": lift_chart(proposal_figures.get("lift_by_decile", [])),
        "tuning": tuning,
        "targets": Target.choices,
        "events": selectors.model_events(20),
    }
    return render(request, "web/scoring.html", context)


@require_POST
@page
def scoring_tune(request: HttpRequest) -> HttpResponse:
    user = _scorer(request)
    try:
        since = request.POST.get("since", "").strip()
        scoring.queue_tuning(
            target=request.POST.get("target", ""),
            actor=user,
            now=pages.clock(),
            since=parse_utc(since + "T00:00:00Z", "since") if since else None,
        )
    except (ValidationError, Conflict) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    return HttpResponseRedirect(reverse("scoring:page"))


@require_GET
@page
def scoring_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The tuning's progress bar, polled while the worker tunes; a reload once it is over."""
    _scorer(request)
    run = get_object_or_404(TuningRun, pk=run_id)
    response = render(request, "web/_tuning_progress.html", {"tuning": run})
    if run.state in (TuningRun.State.DONE, TuningRun.State.FAILED):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@page
def scoring_apply(request: HttpRequest, model_id: int) -> HttpResponse:
    user = _scorer(request)
    model = get_object_or_404(ScoringModel, pk=model_id)
    try:
        applied = scoring.apply_model(model, actor=user, now=pages.clock())
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, applied_message(applied))
    return HttpResponseRedirect(f"{reverse('scoring:page')}?model={model.pk}")


def applied_message(applied: scoring.Applied) -> str:
    """What an apply did, the whole rescoring counted (a stopped one finished too)."""
    version = applied.model.version
    if applied.finished_stopped:
        return (
            f"Model v{version}'s rescoring is finished: {applied.rescored} open leads on it, "
            f"{applied.run_rescored} of them rescored now; {applied.tier_changes} changed tier."
        )
    return (
        f"Model v{version} is active: {applied.rescored} open leads rescored, "
        f"{applied.tier_changes} changed tier."
    )
