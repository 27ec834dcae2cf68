from __future__ import annotations

from django.apps import AppConfig


class TickConfig(AppConfig):
    name = "leadloop.tick"
    label = "tick"

    def ready(self) -> None:
        from django.core import checks

        from leadloop.tick.checks import check_task_queue

        checks.register(check_task_queue)
