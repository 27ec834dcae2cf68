"""Taking a lead's row for an action: locked, at the version the caller read."""

from __future__ import annotations

from collections.abc import Sequence

from leadloop.leads.models import Lead
from leadloop.lib.errors import StaleLead

DEFAULT_RELATED = ("team", "sales_rep", "campaign")


def lock_lead(
    lead: Lead | int,
    *,
    expected_version: int | None = None,
    related: Sequence[str] = DEFAULT_RELATED,
    skip_locked: bool = False,
) -> Lead | None:
    """The lead's row locked for this transaction (None only with `skip_locked`).

    FOR NO KEY UPDATE: the sweep's inserts of events check their foreign key
    to this row (FOR KEY SHARE) at commit while holding clock locks this
    transaction is about to ask for; a full FOR UPDATE would deadlock. Every
    action locks the lead first and its clocks, cadence and tasks after it,
    so no two writers wait on each other in a circle.
    """
    lead_id = lead if isinstance(lead, int) else lead.pk
    locked = (
        Lead.objects.select_for_update(of=("self",), no_key=True, skip_locked=skip_locked)
        .select_related(*related)
        .filter(pk=lead_id)
        .first()
    )
    if locked is None:
        if skip_locked:
            return None
        raise Lead.DoesNotExist(f"no lead {lead_id}")
    if expected_version is not None and locked.version != expected_version:
        raise StaleLead(
            lead_id=locked.pk, expected=expected_version, version=locked.version, stage=locked.stage
        )
    return locked


def locked_lead(lead: Lead | int, *, expected_version: int | None = None) -> Lead:
    """`lock_lead` for an action that must have its lead."""
    found = lock_lead(lead, expected_version=expected_version)
    assert found is not None
    return found
