"""Security headers: a Content-Security-Policy on every page, HTTPS with redirect and HSTS."""

from __future__ import annotations

import re
import runpy
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from csp.utils import build_policy
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings

from leadloop.testing import World, client_for

PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "true",
    "SECRET_KEY": "k" * 40 + "-a-long-random-production-secret-" + "z" * 10,
    "ALLOWED_HOSTS": "leads.example.com",
}
# What the environment decides that the deploy checks look at.
SECURITY_SETTINGS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "MIDDLEWARE",
    "AUTHENTICATION_BACKENDS",
    "CONTENT_SECURITY_POLICY",
)


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    """config/settings.py evaluated afresh with `env` (and no stray security variables)."""
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "HTTPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(Path(django_settings.BASE_DIR) / "config" / "settings.py"))
    return {name: values[name] for name in SECURITY_SETTINGS}


def test_deploy_checks_find_nothing_with_https_true(
    monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    production = settings_from(monkeypatch, PRODUCTION)
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    out = StringIO()
    with override_settings(**production):
        call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    assert "System check identified no issues" in out.getvalue()


def test_without_https_nothing_redirects_or_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    local = settings_from(monkeypatch, {"DEBUG": "false"})
    assert local["SECURE_SSL_REDIRECT"] is False
    assert local["SECURE_HSTS_SECONDS"] == 0
    assert local["SESSION_COOKIE_SECURE"] is False


def test_with_https_plain_http_is_redirected_and_https_pinned(
    monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    production = settings_from(monkeypatch, PRODUCTION)
    keep = {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS"}
    with override_settings(**{k: v for k, v in production.items() if k in keep}):
        plain = Client().get("/login/")
        assert plain.status_code == 301
        assert plain["Location"] == "https://testserver/login/"
        secure = Client().get("/login/", secure=True)
        assert secure.status_code == 200
        assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def csp(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_every_page_carries_a_policy_without_inline_script(world: World) -> None:
    pages = [
        Client().get("/login/"),
        client_for(world.a.inside).get("/"),
        client_for(world.a.inside).get("/queue/"),
        client_for(world.admin).get("/admin/"),
        Client().get("/api/v1/docs"),
    ]
    for page in pages:
        assert page.status_code == 200
        policy = csp(page)
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe" not in page["Content-Security-Policy"]


def test_the_kept_policy_is_the_one_django_csp_builds(world: World) -> None:
    """Pages and API answers carry django-csp's header, the same bytes, built once; a
    changed setting changes it at once."""
    expected = build_policy()
    answers = [
        Client().get("/login/"),
        client_for(world.a.inside).get("/queue/"),
        Client().get("/api/v1/leads"),  # a JSON refusal (no token) carries it too
    ]
    for answer in answers:
        assert answer["Content-Security-Policy"] == expected
    stricter = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=stricter):
        assert Client().get("/login/")["Content-Security-Policy"] == "default-src 'none'"
    assert Client().get("/login/")["Content-Security-Policy"] == expected


TEMPLATE_DIRS = sorted(Path(django_settings.BASE_DIR, "leadloop").glob("**/templates"))
# `leadloop review --html` writes this page to a file; no server sends it, so
# no policy applies, and a standalone file keeps its styles inside.
STANDALONE = {"reports/review_print.html"}


def templates() -> list[tuple[str, str]]:
    found = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.glob("**/*.html")):
            found.append((str(path.relative_to(folder)), path.read_text()))
    return found


def test_no_template_has_inline_script_handlers_or_styles() -> None:
    assert len(templates()) > 20
    for name, text in templates():
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (name, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), name
        assert "javascript:" not in text, name
        assert not re.search(r"\sstyle\s*=", text), name
        if name not in STANDALONE:
            assert "<style" not in text, name
