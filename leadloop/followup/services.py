"""Writes of the follow-up's own settings: cadence templates, edited by managers.

Cadences on leads (started by a no-show, worked step by step, ended by a
move) are lifecycle actions: see `lifecycle.cadence_runs` and
`lifecycle.cadence_steps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.choices import TeamKind
from leadloop.accounts.models import Team, User
from leadloop.followup import rules
from leadloop.followup.choices import CadenceTrigger
from leadloop.followup.models import CadenceStep, CadenceTemplate
from leadloop.followup.permissions import may_edit_template
from leadloop.followup.selectors import template_for
from leadloop.lib.errors import NotPermitted


def save_template(
    *,
    template: CadenceTemplate,
    actor: User,
    now: datetime,
    name: str,
    recycle_day: int,
    invite_window_days: int,
    steps: Sequence[rules.StepSpec],
    expected_version: int | None = None,
) -> CadenceTemplate:
    """Replace a template's settings and steps; runs already started keep their own copy."""
    if not may_edit_template(actor, template):
        raise NotPermitted(f"{actor} may not edit the cadence '{template.name}'.")
    rules.validate_template(
        name=name, steps=steps, recycle_day=recycle_day, invite_window_days=invite_window_days
    )
    with transaction.atomic():
        locked = CadenceTemplate.objects.select_for_update().get(pk=template.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ValidationError(
                {
                    "version": f"{locked.updated_by or 'someone'} changed this cadence since you "
                    "opened it; reload it and make your change again"
                }
            )
        locked.name = name.strip()
        locked.recycle_day = recycle_day
        locked.invite_window_days = invite_window_days
        locked.updated_at, locked.updated_by = now, actor
        locked.version += 1
        locked.save()
        locked.steps.all().delete()
        ordered = sorted(steps, key=lambda s: (s.day, rules.step_order(s.action)))
        CadenceStep.objects.bulk_create(
            CadenceStep(template=locked, position=i, day=s.day, action=s.action, text=s.text)
            for i, s in enumerate(ordered)
        )
    return locked


def customize_for_team(*, team: Team, actor: User, now: datetime) -> CadenceTemplate:
    """Give a sales team its own copy of the default no-show cadence (or return the one it has)."""
    probe = CadenceTemplate(team=team, trigger=CadenceTrigger.NO_SHOW)
    if not may_edit_template(actor, probe):
        raise NotPermitted(f"{actor} may not set the cadence of {team}.")
    if team.kind != TeamKind.SALES:
        raise ValidationError({"team": f"{team} is not a sales team; cadences are sales work"})
    with transaction.atomic():
        existing = CadenceTemplate.objects.filter(team=team, trigger=CadenceTrigger.NO_SHOW).first()
        if existing is not None:
            return existing
        default = template_for(None)
        copy = CadenceTemplate.objects.create(
            name=f"{default.name} — {team.name}",
            trigger=default.trigger,
            team=team,
            recycle_day=default.recycle_day,
            invite_window_days=default.invite_window_days,
            updated_at=now,
            updated_by=actor,
        )
        CadenceStep.objects.bulk_create(
            CadenceStep(template=copy, position=s.position, day=s.day, action=s.action, text=s.text)
            for s in default.steps.all()
        )
    return copy
