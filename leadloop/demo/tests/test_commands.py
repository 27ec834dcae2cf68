"""`leadloop seed` and `leadloop demo` never put demo users among real ones by accident.

Demo users share a public password; each still gets a hash of her own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import CommandError, call_command

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.services import create_user
from leadloop.demo.org import CAMPAIGNS, DEMO_HASH_ITERATIONS, PEOPLE, TEAMS, demo_password_hash
from leadloop.demo.seed import DEMO_PASSWORD, seed_demo
from leadloop.leads.models import Lead

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", "--now", NOW.isoformat(), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_refuses_a_database_with_users_and_says_what_it_would_add() -> None:
    create_user(username="alice", role=Role.ADMIN, password="a real one")
    with pytest.raises(CommandError) as refused:
        seed("--leads", "40")
    message = str(refused.value)
    assert "already has 1 user" in message
    assert f"{len(TEAMS)} teams" in message
    assert f"{len(PEOPLE)} demo users who all log in with the password '{DEMO_PASSWORD}'" in message
    assert f"{len(CAMPAIGNS)} campaigns" in message
    assert "40 leads" in message
    assert "--force" in message
    assert User.objects.count() == 1
    assert not Lead.objects.exists()


def test_seed_with_force_adds_the_organisation_anyway() -> None:
    create_user(username="alice", role=Role.ADMIN, password="a real one")
    seed("--leads", "30", "--force")
    assert User.objects.count() == 1 + len(PEOPLE)
    assert Lead.objects.count() == 30


def test_seeding_an_already_seeded_database_needs_force_and_adds_only_leads() -> None:
    seed("--leads", "20")
    with pytest.raises(CommandError, match="seeding would add 20 leads with their history"):
        seed("--leads", "20")
    seed("--leads", "20", "--force")
    assert Lead.objects.count() == 40


def test_seed_on_an_empty_database_prints_the_logins() -> None:
    said = seed("--leads", "20")
    assert f"password for all: {DEMO_PASSWORD}" in said
    assert "admin" in said


def test_every_demo_user_has_a_hash_of_her_own() -> None:
    seed_demo(leads=0, seed=1, now=NOW)
    users = list(User.objects.filter(username__in=[p.username for p in PEOPLE]))
    assert len(users) == len(PEOPLE)
    assert len({u.password for u in users}) == len(users)
    assert all(u.check_password(DEMO_PASSWORD) for u in users)


def test_with_pbkdf2_the_demo_hash_is_cheap_until_the_first_login(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    first, second = demo_password_hash(), demo_password_hash()
    assert first != second
    hasher = identify_hasher(first)
    assert hasher.decode(first)["iterations"] == DEMO_HASH_ITERATIONS
    user = create_user(username="dora", role=Role.MARKETING)
    User.objects.filter(pk=user.pk).update(password=first)
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)  # and Django hashes it again at full cost
    user.refresh_from_db()
    assert hasher.decode(user.password)["iterations"] == hasher.iterations  # type: ignore[attr-defined]


def demo() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", "--leads", "25", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_demo_seeds_an_empty_database_then_leaves_it_alone() -> None:
    first = demo()
    assert "Seeding a demo organisation with 25 leads" in first
    assert f"password for all: {DEMO_PASSWORD}" in first
    assert Lead.objects.count() == 25
    again = demo()
    assert "already has users; not seeding it" in again
    assert f"password for all: {DEMO_PASSWORD}" in again
    assert Lead.objects.count() == 25


def test_demo_does_not_seed_a_database_with_real_users() -> None:
    create_user(username="alice", role=Role.ADMIN, password="a real one")
    said = demo()
    assert "already has users; not seeding it" in said
    assert DEMO_PASSWORD not in said
    assert User.objects.count() == 1
