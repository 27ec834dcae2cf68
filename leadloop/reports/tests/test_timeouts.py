"""A report the database stops at a web request's time limit answers 503 and says what to
do; the limit is the web's alone, so the command line runs the same report to its end."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from leadloop.lib import pages
from leadloop.reports import registry
from leadloop.reports.result import Report
from leadloop.reports.tests.dataset import REPORT_NOW
from leadloop.testing import World, client_for

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: REPORT_NOW)


def replace_build(monkeypatch: pytest.MonkeyPatch, name: str, build: Callable[..., Report]) -> None:
    monkeypatch.setitem(registry.REPORTS, name, replace(registry.REPORTS[name], build=build))


class Cancelled(Exception):
    """What psycopg raises for a statement PostgreSQL cancelled (SQLSTATE 57014)."""

    sqlstate = "57014"


def cancelled(*args: Any, **kwargs: Any) -> Report:
    raise OperationalError("canceling statement due to statement timeout") from Cancelled()


def test_a_stopped_report_answers_503_with_what_to_do(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEB_STATEMENT_TIMEOUT = 20
    replace_build(monkeypatch, "sla", cancelled)
    page = client_for(world.a.tele_manager).get(reverse("reports:report", args=["sla"]), NOVEMBER)
    html = page.content.decode()
    assert page.status_code == 503
    assert "took longer than a web request may (20 s)" in html
    assert "leadloop report sla --from" in html and "<table" not in html
    csv = client_for(world.a.tele_manager).get(reverse("reports:csv", args=["sla"]), NOVEMBER)
    assert csv.status_code == 503 and "Narrow it" in csv.content.decode()
    response = Client().get("/api/v1/reports/sla", NOVEMBER, **world.auth(world.a.tele_manager))
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The SLA compliance report took longer")


def test_other_database_errors_are_not_dressed_up_as_timeouts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Report:
        raise OperationalError("server closed the connection unexpectedly")

    replace_build(monkeypatch, "sla", broken)
    with pytest.raises(OperationalError, match="closed the connection"):
        client_for(world.admin).get(reverse("reports:report", args=["sla"]), NOVEMBER)


on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
)
SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    c.execute('SHOW statement_timeout')\n"
    "    print(c.fetchone()[0])\n"
)


def statement_timeout_of(*command: str) -> str:
    """What a fresh process started with `command` (then SHOW) connects with."""
    env = {k: v for k, v in os.environ.items() if k != "LEADLOOP_WEB_PROCESS"}
    # The test database: it exists whether or not the one DATABASE_URL names does.
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    env |= {"WEB_STATEMENT_TIMEOUT": "7.5", "DATABASE_URL": urlunsplit(url)}
    done = subprocess.run(
        [sys.executable, *command],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
@on_postgres
def test_only_a_web_process_connects_with_the_timeout() -> None:
    web = statement_timeout_of("-c", f"import config.wsgi\n{SHOW}")
    assert web == "7500ms"
    assert statement_timeout_of("-c", f"import config.asgi\n{SHOW}") == "7500ms"
    # The command line (the worker is one of its commands) has no limit.
    assert statement_timeout_of("-m", "leadloop", "shell", "-c", SHOW) == "0"


@pytest.mark.postgres
@on_postgres
def test_postgres_stops_a_slow_report_in_a_web_process(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEB_STATEMENT_TIMEOUT = 0.2
    real = registry.REPORTS["sla"].build

    def slow(*args: Any, **kwargs: Any) -> Report:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return real(*args, **kwargs)

    replace_build(monkeypatch, "sla", slow)
    with connection.cursor() as cursor:
        # What a web process's connection starts with (see the test above).
        cursor.execute("SET statement_timeout = '200ms'")
    try:
        page = client_for(world.admin).get(reverse("reports:report", args=["sla"]), NOVEMBER)
        assert page.status_code == 503
        assert "took longer than a web request may (0.2 s)" in page.content.decode()
        response = Client().get("/api/v1/reports/sla", NOVEMBER, **world.auth(world.admin))
        assert response.status_code == 503 and "Narrow it" in response.json()["detail"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
