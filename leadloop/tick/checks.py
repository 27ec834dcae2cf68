"""`leadloop check`: every web process and worker must share one task queue.

A task queued by a web process is run by whichever worker reads the same
queue. With SQLite the default queue file sits beside the database file;
with PostgreSQL there is no such place, and a file named relative to the
working directory would quietly differ between a web process and a worker
started elsewhere, so the check says what to set instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

QUEUE_UNSET = "leadloop.E001"
QUEUE_RELATIVE = "leadloop.W001"
QUEUE_BOTH = "leadloop.W002"


def queue_problems(
    *, engine: str, redis_url: str, huey_file: str, immediate: bool
) -> list[checks.CheckMessage]:
    """What is wrong with where tasks are queued; nothing when tasks run immediately."""
    if immediate:
        return []
    if redis_url and huey_file:
        return [
            checks.Warning(
                "Both REDIS_URL and HUEY_FILE are set; tasks go to Redis and HUEY_FILE is unused.",
                hint="Unset HUEY_FILE, or REDIS_URL to keep the queue in that file.",
                id=QUEUE_BOTH,
            )
        ]
    if redis_url:
        return []
    if not huey_file:
        if engine.endswith("sqlite3"):
            return []  # the settings put it beside the database file
        return [
            checks.Error(
                "No task queue: with PostgreSQL, background work needs REDIS_URL or HUEY_FILE "
                "so that web processes and workers share one queue. Until one is set, each web "
                "process runs its tasks (emails) itself and no worker runs the SLA tick.",
                hint=(
                    "Set REDIS_URL=redis://host:6379/0 when workers run on several machines, "
                    "or HUEY_FILE=/var/lib/leadloop/queue.sqlite3 (an absolute path every web "
                    "process and the worker can write) on one machine."
                ),
                id=QUEUE_UNSET,
            )
        ]
    if not Path(huey_file).is_absolute():
        return [
            checks.Warning(
                f"HUEY_FILE '{huey_file}' is a relative path: a web process and a worker "
                "started in different directories would use different queues.",
                hint=f"Give an absolute path, e.g. HUEY_FILE={Path(huey_file).resolve()}.",
                id=QUEUE_RELATIVE,
            )
        ]
    return []


def check_task_queue(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    return queue_problems(
        engine=str(settings.DATABASES["default"]["ENGINE"]),
        redis_url=settings.REDIS_URL,
        huey_file=settings.HUEY_FILE,
        immediate=settings.HUEY_IMMEDIATE,
    )
