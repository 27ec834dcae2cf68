"""The worker's schedule: one tick a minute."""

from __future__ import annotations

from django.db import connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task, on_shutdown

from leadloop.tick.services import run_tick


@db_periodic_task(crontab(minute="*"), retries=2, retry_delay=5)
@lock_task("leadloop-tick")
def tick() -> None:
    # The lock keeps one tick at a time per queue; the tick itself would be
    # safe twice over, the lock just saves the duplicate work.
    run_tick(now=timezone.now())


@on_shutdown()
def close_database_connections() -> None:
    """A stopping worker thread hands its connections back instead of leaving them open."""
    connections.close_all()
