"""`leadloop token create --user NAME`: issue an API token (printed once, last line)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leadloop.accounts.models import ApiToken, User
from leadloop.accounts.services import create_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. Tokens are stored hashed and shown only once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Issue a new token for a user.")
        create.add_argument("--user", required=True, help="User name")
        create.add_argument("--name", default="", help="What the token is for")
        listing = sub.add_parser("list", help="List tokens (prefixes only).")
        listing.add_argument("--user", default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "create":
            try:
                user = User.objects.get(username=opts["user"])
            except User.DoesNotExist:
                raise CommandError(
                    f"No user '{opts['user']}'. Create one with `leadloop createsuperuser` "
                    "or in the admin, then try again."
                ) from None
            if not user.is_active:
                raise CommandError(f"User '{user.username}' is inactive; activate her first.")
            token, secret = create_token(user=user, now=timezone.now(), name=opts["name"])
            self.stderr.write(
                f"Token {token.prefix}… for {user.username} ({user.role}). It is shown once; "
                "send it as `Authorization: Bearer <token>`."
            )
            self.stdout.write(secret)
        elif verb == "list":
            qs = ApiToken.objects.select_related("user").order_by("created_at")
            if opts["user"]:
                qs = qs.filter(user__username=opts["user"])
            for t in qs:
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(
                    f"{t.prefix}…\t{t.user.username}\t{t.name}\t{state}\t{t.created_at:%Y-%m-%d}"
                )
        else:
            n = ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            if n == 0:
                raise CommandError(f"No active token with prefix '{opts['prefix']}'.")
            self.stdout.write(f"Revoked {n} token(s).")
