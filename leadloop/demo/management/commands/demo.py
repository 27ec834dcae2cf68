"""`leadloop demo`: migrate, seed a demo organisation if empty, print logins, serve.

A background worker (`leadloop worker`, a second process) runs beside the
web server, so SLA clocks breach, escalate and notify while you click
around; its emails go to the console.
"""

from __future__ import annotations

import os
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from leadloop.accounts.models import User
from leadloop.demo.scoring import tune_and_apply
from leadloop.demo.seed import DEMO_LEADS, DEMO_PASSWORD, demo_login_lines, seed_demo
from leadloop.leads.models import Lead


class Command(BaseCommand):
    help = f"Run the demo: migrate, seed ~{DEMO_LEADS:,} leads if the database is empty, serve."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--leads", type=int, default=DEMO_LEADS)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not run the background worker."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        db = settings.DATABASES["default"]
        self.stdout.write(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        # Only an empty database is seeded: demo users log in with a public
        # password, which must never land among real users.
        if not User.objects.exists() and not Lead.objects.exists():
            self.stdout.write(f"Seeding a demo organisation with {opts['leads']:,} leads…")
            now = timezone.now().replace(second=0, microsecond=0)
            summary = seed_demo(leads=opts["leads"], seed=opts["seed"], now=now, progress=True)
            self.stdout.write("\n".join(summary.lines()))
            self.stdout.write("Tuning a scoring model on the demo's closed leads…")
            self.stdout.write(tune_and_apply(now=now))
        else:
            self.stdout.write("The database already has users; not seeding it.")
        port = opts["port"]
        self.stdout.write(self.style.SUCCESS(f"\nleadloop demo at http://127.0.0.1:{port}/"))
        logins = demo_login_lines()
        present = set(
            User.objects.filter(username__in=[name for _, name in logins]).values_list(
                "username", flat=True
            )
        )
        if present:
            self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
            width = max(len(who) for who, _ in logins)
            for who, username in logins:
                if username in present:
                    self.stdout.write(f"  {who:<{width}}  {username}")
        else:
            self.stdout.write("Log in with your own users (this is not the demo's database).")
        self.stdout.write(f"API docs: http://127.0.0.1:{port}/api/v1/docs\n")
        if opts["no_serve"]:
            return
        if "LEADLOOP_BASE_URL" not in os.environ:
            # Links in emails point at this server, in the worker (which inherits
            # the environment) as here.
            os.environ["LEADLOOP_BASE_URL"] = f"http://127.0.0.1:{port}"
            settings.LEADLOOP_BASE_URL = os.environ["LEADLOOP_BASE_URL"]
        worker = None
        if not opts["no_worker"]:
            self.stdout.write("Background worker: SLA tick every minute, emails on this console.")
            # The same interpreter running leadloop: nothing here comes from a user.
            worker = subprocess.Popen([sys.executable, "-m", "leadloop", "worker"])
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
