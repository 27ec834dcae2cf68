"""`leadloop worker`: the huey consumer, with the one-minute tick scheduled.

Tasks go to an SQLite file beside the database by default, or to Redis when
REDIS_URL is set; run one worker per machine (each with --workers threads).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY


class Command(BaseCommand):
    help = "Run background work: queued emails and a tick every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-w", "--workers", type=int, default=None, help="worker threads")
        parser.add_argument(
            "--no-periodic", action="store_true", help="do not run the tick (another worker does)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")  # every app's tasks.py, so the consumer knows them
        huey_settings: dict[str, Any] = settings.HUEY
        config: dict[str, Any] = dict(huey_settings.get("consumer", {}))
        if options["workers"]:
            config["workers"] = options["workers"]
        config["periodic"] = not options["no_periodic"]
        where = settings.REDIS_URL or huey_settings.get("filename")
        self.stdout.write(
            f"leadloop worker: {config.get('workers', 1)} thread(s), queue {where}, "
            f"tick {'every minute' if config['periodic'] else 'off'}. Ctrl-C stops."
        )
        consumer = HUEY.create_consumer(**config)
        consumer.run()
