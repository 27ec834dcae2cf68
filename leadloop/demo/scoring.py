"""The demo's scoring model: tuned on the demo's own closed history and applied,
as marketing would, so every page shows real scores, tiers and explanations."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.lifecycle import scoring
from leadloop.scoring.choices import Target

# Seed 001's first example: will the lead respond to teleprospecting, or turn out
# unreachable? That is what the inside reps' queue sorts by.
DEMO_TARGET = Target.REACHED


def tune_and_apply(*, now: datetime) -> str:
    """One line saying what was applied (or why nothing was)."""
    marketing = User.objects.filter(groups__name=Role.MARKETING, is_active=True).first()
    try:
        proposal = scoring.propose(target=DEMO_TARGET, actor=marketing, now=now)
    except ValidationError as exc:
        return f"Scoring: no model tuned ({'; '.join(exc.messages)})."
    applied = scoring.apply_model(proposal, actor=marketing, now=now)
    figures = proposal.backtest["proposal"]
    return (
        f"Scoring: model v{proposal.version} ({DEMO_TARGET}) tuned on "
        f"{proposal.backtest['history']['count']:,} closed leads (backtest AUC {figures['auc']}, "
        f"Brier {figures['brier']}) and applied to {applied.rescored:,} open leads."
    )
