"""The worker's schedule: one tick a minute."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from leadloop.tick.services import run_tick


@db_periodic_task(crontab(minute="*"))
@lock_task("leadloop-tick")
def tick() -> None:
    # The lock keeps one tick at a time per queue; the tick itself would be
    # safe twice over, the lock just saves the duplicate work.
    run_tick(now=timezone.now())
