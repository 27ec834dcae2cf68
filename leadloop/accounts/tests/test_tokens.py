"""API tokens: last use kept to the minute, expiry, revocation and read-only tokens."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadloop.accounts.models import ApiToken
from leadloop.accounts.services import (
    TokenRefused,
    check_token,
    create_token,
    token_digest,
    user_for_token,
)
from leadloop.lib.times import parse_span
from leadloop.testing import NOW, World, make_lead


def test_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    token, secret = create_token(user=world.marketing, now=NOW)
    check_token(secret, now=NOW)
    token.refresh_from_db()
    assert token.last_used_at == NOW
    with CaptureQueriesContext(connection) as queries:
        check_token(secret, now=NOW + timedelta(seconds=59))
    assert len(queries) == 1  # the lookup, no write
    token.refresh_from_db()
    assert token.last_used_at == NOW
    check_token(secret, now=NOW + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == NOW + timedelta(seconds=61)


def test_an_expired_token_is_refused_from_its_expiry_on(world: World) -> None:
    _, secret = create_token(user=world.marketing, now=NOW, expires_at=NOW + timedelta(hours=1))
    assert check_token(secret, now=NOW + timedelta(minutes=59)).user == world.marketing
    with pytest.raises(TokenRefused, match="expired at 2026-11-17T10:00:00Z"):
        check_token(secret, now=NOW + timedelta(hours=1))
    assert user_for_token(secret, now=NOW + timedelta(hours=2)) is None


def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    token, secret = create_token(user=world.marketing, now=NOW)
    check_token(secret, now=NOW)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=NOW + timedelta(seconds=1))
    with pytest.raises(TokenRefused, match="revoked"):
        check_token(secret, now=NOW + timedelta(seconds=2))


def test_a_deactivated_users_token_is_refused_at_once(world: World) -> None:
    _, secret = create_token(user=world.marketing, now=NOW)
    token = check_token(secret, now=NOW)
    assert token.user.role == "marketing" and token.user.pk == world.marketing.pk
    type(world.marketing).objects.filter(pk=world.marketing.pk).update(is_active=False)
    with pytest.raises(TokenRefused, match="Unknown token"):
        check_token(secret, now=NOW + timedelta(seconds=1))


def test_a_token_cannot_be_created_already_expired(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        create_token(user=world.marketing, now=NOW, expires_at=NOW)
    assert "expires_at" in refused.value.message_dict


def api(token: str, method: str, path: str, body: object = None) -> Any:
    client = Client()
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is None:
        return getattr(client, method)(f"/api/v1{path}", **kwargs)
    return getattr(client, method)(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **kwargs
    )


def test_the_api_answers_an_expired_or_revoked_token_401_saying_why(world: World) -> None:
    now = timezone.now()
    expired = ApiToken.objects.get(user=world.marketing)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(seconds=1))
    response = api(world.token(world.marketing), "get", "/campaigns")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    ApiToken.objects.filter(user=world.admin).update(revoked_at=now)
    response = api(world.token(world.admin), "get", "/campaigns")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_read_only_token_reads_and_is_refused_every_write(world: World) -> None:
    _, secret = create_token(user=world.marketing, now=NOW, read_only=True)
    assert api(secret, "get", "/campaigns").status_code == 200
    lead = make_lead(world.a)
    body = {"campaign": world.a.campaign.pk, "first_name": "Ana", "last_name": "Silva"}
    writes = [
        ("post", "/leads", body),
        ("patch", f"/leads/{lead.pk}", {"company": "Initech"}),
        ("put", f"/leads/{lead.pk}/qualification", {"answers": {}}),
        ("delete", f"/leads/{lead.pk}/claim", None),
    ]
    for method, path, data in writes:
        response = api(secret, method, path, data)
        assert response.status_code == 403, (method, path)
        assert "read-only" in response.json()["detail"]
    # The same user's full token may write.
    full = api(
        world.token(world.marketing),
        "post",
        "/leads",
        body | {"company": "Globex", "email": "ana@globex.example", "country": "DE"},
    )
    assert full.status_code == 201, full.content


def test_the_api_records_the_tokens_last_use(world: World) -> None:
    assert api(world.token(world.marketing), "get", "/campaigns").status_code == 200
    token = ApiToken.objects.get(user=world.marketing)
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


# ---------------------------------------------------------------- the command


def create(*args: str) -> tuple[ApiToken, str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", "create", "--user", "marketing", *args, stdout=out, stderr=err)
    secret = out.getvalue().strip().splitlines()[-1]
    return ApiToken.objects.get(digest=token_digest(secret)), secret, err.getvalue()


@pytest.mark.parametrize(
    ("span", "length"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2))],
)
def test_token_create_expires_after_the_span_and_prints_when(
    world: World, span: str, length: timedelta
) -> None:
    before = timezone.now()
    token, _, said = create("--expires", span)
    assert token.expires_at is not None
    assert before + length <= token.expires_at <= timezone.now() + length
    assert f"expires {token.expires_at:%Y-%m-%dT%H:%M}" in said


def test_token_create_read_only(world: World) -> None:
    token, secret, said = create("--read-only")
    assert token.read_only
    assert token.expires_at is None
    assert "read-only" in said
    assert "never expires" in said
    assert check_token(secret, now=timezone.now()).read_only


@pytest.mark.parametrize("span", ["90", "3m", "0d", "soon", "-2w"])
def test_token_create_refuses_a_span_it_cannot_read(world: World, span: str) -> None:
    with pytest.raises(CommandError, match=r"e\.g\. 12h, 90d or 2w"):
        create(f"--expires={span}")
    assert not ApiToken.objects.filter(user=world.marketing, expires_at__isnull=False).exists()


def test_token_list_shows_expiry_last_use_and_access(world: World) -> None:
    ApiToken.objects.all().delete()
    used, secret, _ = create("--read-only", "--expires", "2w")
    check_token(secret, now=timezone.now())
    used.refresh_from_db()
    old, _, _ = create()
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("token", "list", stdout=out)
    header, *rows = out.getvalue().strip().splitlines()
    assert header.split("\t") == [
        "prefix",
        "user",
        "name",
        "state",
        "access",
        "created",
        "expires",
        "last used",
    ]
    first, second = (row.split("\t") for row in rows)
    assert first[3:5] == ["active", "read-only"]
    assert first[6].startswith(f"{used.expires_at:%Y-%m-%dT%H:%M}")
    assert first[7].startswith(f"{used.last_used_at:%Y-%m-%dT%H:%M}")
    assert second[3:5] == ["expired", "read-write"]
    assert second[7] == "never"


def test_spans_are_hours_days_or_weeks() -> None:
    assert parse_span("36h") == timedelta(hours=36)
    assert parse_span(" 7D ") == timedelta(days=7)
    with pytest.raises(ValidationError) as refused:
        parse_span("1y", "--expires")
    assert "--expires" in refused.value.message_dict
