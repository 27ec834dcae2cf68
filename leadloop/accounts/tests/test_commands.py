from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from leadloop.accounts.models import ApiToken
from leadloop.accounts.services import token_digest, user_for_token
from leadloop.testing import World


def test_token_create_prints_the_secret_last_and_stores_only_its_digest(world: World) -> None:
    out = StringIO()
    call_command("token", "create", "--user", "marketing", stdout=out, stderr=StringIO())
    secret = out.getvalue().strip().splitlines()[-1]
    assert user_for_token(secret, now=timezone.now()) == world.marketing
    token = ApiToken.objects.get(digest=token_digest(secret))
    assert secret not in (token.digest, token.prefix)
    call_command("token", "revoke", token.prefix, stdout=StringIO())
    assert user_for_token(secret, now=timezone.now()) is None


def test_token_for_unknown_user_says_what_to_do(world: World) -> None:
    with pytest.raises(CommandError, match="createsuperuser"):
        call_command("token", "create", "--user", "nobody")


def test_check_deploy_is_clean_with_production_settings() -> None:
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 30 + "-production-secret-" + "y" * 30,
        "DEBUG": "false",
        "HTTPS": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "ALLOWED_HOSTS": "leads.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-m", "leadloop", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
