"""The periodic tick: everything time alone makes happen, at one `now`.

The worker runs it every minute; `leadloop tick --now ISO` runs it once at
a chosen time (tests, demos, catching up after downtime). Besides the lead
work it deletes the API's Idempotency-Key answers past their window, and hands
a scoring model's stopped apply (its worker killed mid-rescoring) to the worker
to finish. Every step is idempotent, so a tick run twice, or by two workers,
changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadloop.api.idempotency import purge_idempotency_records
from leadloop.lib.times import iso_utc
from leadloop.lifecycle.followup_sweep import FollowupResult, run_followup
from leadloop.lifecycle.scoring import StoppedApply, queue_finishing
from leadloop.lifecycle.sla_sweep import SweepResult, sla_sweep
from leadloop.lifecycle.webhooks import DeliveryResult, deliver_due
from leadloop.notifications.delivery import deliver_queued_emails, send_digests
from leadloop.webhooks.services import purge_delivered

log = logging.getLogger("leadloop.tick")

# The tick sends at most this many webhook messages; the rest wait a minute
# (a dead receiver with 10 s timeouts must not hold the tick for hours).
WEBHOOKS_PER_TICK = 500


@dataclass
class TickResult:
    now: datetime
    sweep: SweepResult = field(default_factory=SweepResult)
    followup: FollowupResult = field(default_factory=FollowupResult)
    emails: int = 0
    digests: int = 0
    idempotency_purged: int = 0
    webhooks: DeliveryResult = field(default_factory=DeliveryResult)
    webhook_log_purged: int = 0
    scoring_finishing: StoppedApply | None = None

    def as_dict(self) -> dict[str, Any]:
        stopped = self.scoring_finishing
        return {
            "now": iso_utc(self.now),
            **{f"sla_{k}": v for k, v in self.sweep.as_dict().items()},
            **{f"followup_{k}": v for k, v in self.followup.as_dict().items()},
            "emails": self.emails,
            "digests": self.digests,
            "idempotency_purged": self.idempotency_purged,
            **{f"webhooks_{k}": v for k, v in self.webhooks.as_dict().items()},
            "webhook_log_purged": self.webhook_log_purged,
            # A stopped apply handed to the worker: the model's version, its leads left.
            "scoring_finishing": stopped.version if stopped is not None else None,
            "scoring_remaining": stopped.remaining if stopped is not None else 0,
        }


def run_tick(*, now: datetime) -> TickResult:
    result = TickResult(now=now)
    result.sweep = sla_sweep(now=now)
    result.followup = run_followup(now=now)
    result.digests = send_digests(now=now)
    # Emails queued by this tick went out on commit in immediate mode; this
    # catches any a crashed worker left queued.
    result.emails = deliver_queued_emails(now=now)
    # Idempotency-Key answers past their window (API, leadloop.api.idempotency).
    result.idempotency_purged = purge_idempotency_records(now=now)
    # Webhook messages due by now: retries, and whatever a stopped worker left
    # (new ones go out on commit). Sent outside any transaction.
    result.webhooks = deliver_due(now=now, limit=WEBHOOKS_PER_TICK)
    result.webhook_log_purged = purge_delivered(now=now)
    # Last: queued for the worker, but run right here where tasks run immediately.
    result.scoring_finishing = queue_finishing(now=now)
    log.info("tick", extra=result.as_dict())
    return result
