"""`leadloop seed --leads N --seed S`: a reproducible demo organisation and its leads.

Demo users all log in with the public demo password, so a database that
already has users (a real one, most likely) is refused unless --force says
that is what is wanted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leadloop.accounts.models import User
from leadloop.demo.org import missing_org
from leadloop.demo.scoring import tune_and_apply
from leadloop.demo.seed import DEMO_LEADS, DEMO_PASSWORD, demo_login_lines, seed_demo
from leadloop.lib.times import now_option


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _refusal(users: int, *, leads: int) -> str:
    """Why seeding stops here: what it would add, and how to add it anyway."""
    plan = missing_org()
    parts = []
    if plan.teams:
        parts.append(f"{plan.teams} teams")
    if plan.users:
        parts.append(f"{plan.users} demo users who all log in with the password '{DEMO_PASSWORD}'")
    if plan.campaigns:
        parts.append(f"{plan.campaigns} campaigns")
    parts.append(f"{leads:,} leads with their history")
    adds = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return (
        f"The database already has {users} user{'s' if users != 1 else ''}; seeding would add "
        f"{adds}. Run `leadloop seed --force` if that is what you want."
    )


class Command(BaseCommand):
    help = (
        "Seed a demo organisation (teams, users, campaigns; skipped if present) and N leads "
        "with their activities and history over the last months. Same --leads, --seed and "
        "--now give the same data."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--leads", type=_count, default=DEMO_LEADS, help=f"Leads to create ({DEMO_LEADS})"
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1)")
        parser.add_argument(
            "--months", type=_positive, default=12, help="Months of history before --now (12)"
        )
        parser.add_argument(
            "--now",
            default=None,
            help="The present, ISO 8601 with offset, e.g. 2026-11-24T10:00Z "
            "(default: now, to the minute)",
        )
        parser.add_argument(
            "--batch", type=_positive, default=20000, help="Leads per transaction (20000)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database already has users",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar even when stderr is not a terminal",
        )
        parser.add_argument(
            "--no-scoring",
            action="store_true",
            help="Do not tune and apply a scoring model on the seeded history",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        users = User.objects.count()
        if users and not opts["force"]:
            raise CommandError(_refusal(users, leads=opts["leads"]))
        now = now_option(opts["now"])
        if not opts["now"]:
            now = now.replace(second=0, microsecond=0)
        summary = seed_demo(
            leads=opts["leads"],
            seed=opts["seed"],
            now=now,
            months=opts["months"],
            batch=opts["batch"],
            progress=opts["progress"] or sys.stderr.isatty(),
        )
        for line in summary.lines():
            self.stdout.write(line)
        if not summary.interrupted and not opts["no_scoring"]:
            self.stdout.write(tune_and_apply(now=now))
        if summary.users_created:
            self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
            lines = demo_login_lines()
            width = max(len(who) for who, _ in lines)
            for who, username in lines:
                self.stdout.write(f"  {who:<{width}}  {username}")
        if summary.interrupted:
            self.stderr.write("Stopped by Ctrl-C; every lead written is complete.")
            sys.exit(130)
