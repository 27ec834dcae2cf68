"""`leadloop token create --user NAME`: issue an API token (printed once, last line)."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leadloop.accounts.models import ApiToken, User
from leadloop.accounts.services import create_token
from leadloop.lib.times import iso_utc, parse_span


def _when(moment: datetime | None, never: str) -> str:
    return iso_utc(moment) if moment is not None else never


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. Tokens are stored hashed and shown only once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Issue a new token for a user.")
        create.add_argument("--user", required=True, help="User name")
        create.add_argument("--name", default="", help="What the token is for")
        create.add_argument(
            "--read-only",
            action="store_true",
            help="The token may only read (GET); every write is refused with 403",
        )
        create.add_argument(
            "--expires",
            default=None,
            metavar="SPAN",
            help="Refuse the token after this long, e.g. 12h, 90d, 2w (default: never)",
        )
        listing = sub.add_parser(
            "list", help="List tokens (prefixes only) with expiry, last use and access."
        )
        listing.add_argument("--user", default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "create":
            self._create(opts)
        elif verb == "list":
            self._list(opts)
        else:
            n = ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            if n == 0:
                raise CommandError(f"No active token with prefix '{opts['prefix']}'.")
            self.stdout.write(f"Revoked {n} token(s).")

    def _create(self, opts: dict[str, Any]) -> None:
        try:
            user = User.objects.get(username=opts["user"])
        except User.DoesNotExist:
            raise CommandError(
                f"No user '{opts['user']}'. Create one with `leadloop createsuperuser` "
                "or in the admin, then try again."
            ) from None
        if not user.is_active:
            raise CommandError(f"User '{user.username}' is inactive; activate her first.")
        now = timezone.now()
        expires_at = None
        if opts["expires"]:
            try:
                expires_at = now + parse_span(opts["expires"], "--expires")
            except ValidationError as exc:
                raise CommandError(f"--expires: {'; '.join(exc.messages)}") from None
            except OverflowError:
                raise CommandError(f"--expires {opts['expires']}: too far in the future") from None
        token, secret = create_token(
            user=user,
            now=now,
            name=opts["name"],
            expires_at=expires_at,
            read_only=opts["read_only"],
        )
        access = "read-only" if token.read_only else "read and write"
        expiry = f"expires {iso_utc(expires_at)}" if expires_at else "never expires"
        self.stderr.write(
            f"Token {token.prefix}… for {user.username} ({user.role}), {access}, {expiry}. "
            "It is shown once; send it as `Authorization: Bearer <token>`."
        )
        self.stdout.write(secret)

    def _list(self, opts: dict[str, Any]) -> None:
        now = timezone.now()
        qs = ApiToken.objects.select_related("user").order_by("created_at")
        if opts["user"]:
            qs = qs.filter(user__username=opts["user"])
        self.stdout.write("prefix\tuser\tname\tstate\taccess\tcreated\texpires\tlast used")
        for t in qs:
            if t.revoked_at is not None:
                state = "revoked"
            elif t.expires_at is not None and t.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            access = "read-only" if t.read_only else "read-write"
            self.stdout.write(
                f"{t.prefix}…\t{t.user.username}\t{t.name}\t{state}\t{access}\t"
                f"{t.created_at:%Y-%m-%d}\t{_when(t.expires_at, 'never')}\t"
                f"{_when(t.last_used_at, 'never')}"
            )
