"""Huey tasks of the actions layer: thin, they call the action with the current time."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadloop.accounts.models import User
from leadloop.imports.models import ImportState, LeadImport
from leadloop.lib.times import parse_utc
from leadloop.lifecycle import imports, webhooks
from leadloop.lifecycle.prospect_mail import send_queued

log = logging.getLogger("leadloop.imports")


# Retried: a lock timeout or a dropped connection must not lose an email.
@db_task(retries=3, retry_delay=5)
def send_prospect_mail() -> int:
    return send_queued(now=timezone.now())


# Not retried by huey: a failed attempt is retried on the webhook schedule, and
# the tick sends anything left due.
@db_task()
def deliver_webhooks(ids: list[int] | None = None) -> dict[str, int]:
    return webhooks.deliver_due(now=timezone.now(), ids=ids).as_dict()


def queue_import(
    lead_import: LeadImport, *, actor: User | None, now: datetime, dry_run: bool
) -> LeadImport:
    """Hand an import (or its dry run) to the worker; its state says it is on its way."""
    if lead_import.is_busy:
        raise ValidationError(
            {"import": f"import {lead_import.pk} is already {lead_import.get_state_display()}"}
        )
    if lead_import.state == ImportState.DONE:
        raise ValidationError({"import": f"import {lead_import.pk} is done; upload the file again"})
    state = ImportState.CHECKING if dry_run else ImportState.QUEUED
    with transaction.atomic():
        LeadImport.objects.filter(pk=lead_import.pk).update(state=state, updated_at=now, message="")
        actor_id = actor.pk if actor is not None else None
        transaction.on_commit(lambda: run_lead_import(lead_import.pk, actor_id, dry_run))
    lead_import.refresh_from_db()
    return lead_import


# Not retried: a failed import says why on its page and is resumed by a person
# (a retry of a file with a bad mapping would only fail again).
@db_task()
def run_lead_import(import_id: int, actor_id: int | None, dry_run: bool) -> dict[str, Any]:
    lead_import = LeadImport.objects.get(pk=import_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    try:
        summary = imports.run_import(lead_import, actor=actor, now=timezone.now(), dry_run=dry_run)
    except imports.ImportRefused:
        # The refusal is on the import already (a check goes back to be mapped again,
        # a run is failed), saying what to fix.
        lead_import.refresh_from_db()
        return {"id": import_id, "state": lead_import.state, "message": lead_import.message}
    except Exception as exc:
        log.exception("import stopped", extra={"import": import_id})
        imports.fail(
            lead_import,
            f"the import stopped ({type(exc).__name__}: {exc}); what was imported stays, "
            f"and running it again carries on after line {lead_import.last_line}",
            now=timezone.now(),
        )
        raise
    return summary.as_dict()


# Not retried: a tuning that failed says why on its run; a person asks again.
@db_task()
def tune_scoring(run_id: int) -> int:
    from leadloop.lifecycle.scoring import run_tuning

    return run_tuning(run_id, now=timezone.now()).pk


# Not retried: the tick finds a stopped apply again a minute later and queues it anew.
# At the tick's time (ISO 8601), as the tick's own steps: `leadloop tick --now` too.
@db_task()
def finish_apply(model_id: int, now: str) -> dict[str, Any] | None:
    from leadloop.lifecycle.scoring import finish_stopped_apply

    applied = finish_stopped_apply(model_id, now=parse_utc(now, "now"))
    if applied is None:
        return None
    return {
        "model": model_id,
        "rescored": applied.rescored,
        "tier_changes": applied.tier_changes,
        "run_rescored": applied.run_rescored,
        "run_tier_changes": applied.run_tier_changes,
    }
