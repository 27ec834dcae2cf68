"""`kill -9` in the middle of an import: no half-written lead, and running it again completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from leadloop.imports.models import ImportedRow, ImportState, LeadImport
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead
from leadloop.sla.models import SlaClock
from leadloop.testing import World

ROWS = 12_000


def database_url() -> str:
    """The test database, for a child process."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{name}"))


def leadloop(*args: str, tmp: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "IMPORTS_DIR": str(settings.IMPORTS_DIR),
        "HUEY_FILE": str(tmp / "queue.sqlite3"),
    }
    env.pop("PYTEST_VERSION", None)
    return subprocess.Popen(
        [sys.executable, "-m", "leadloop", *args],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kill_9_mid_import_then_resume(tworld: World, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    with path.open("w") as out:
        out.write("First Name,Last Name,Company,Email,Country\n")
        for i in range(ROWS):
            out.write(f"Kim{i},Lund{i},Firm {i},kim{i}@firm{i}.example,Sweden\n")
    child = leadloop(
        "import", "leads", str(path), "--campaign", tworld.a.campaign.name, tmp=tmp_path
    )
    deadline = time.monotonic() + 120
    lead_import = None
    while time.monotonic() < deadline:
        lead_import = LeadImport.objects.filter(last_line__gt=0).first()
        if lead_import is not None or child.poll() is not None:
            break
        time.sleep(0.05)
    assert child.poll() is None, f"the import ended before it could be killed: {child.stderr}"
    assert lead_import is not None
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    lead_import.refresh_from_db()
    assert lead_import.state == ImportState.RUNNING
    committed = lead_import.last_line
    assert 0 < committed < ROWS + 1
    # Nothing half-written: every lead that exists has its event, its clocks and its
    # journal row, and they stop at the same line.
    made = Lead.objects.filter(email_key__startswith="kim")
    count = made.count()
    assert count == committed - 1  # line 1 is the header
    assert ImportedRow.objects.filter(lead_import=lead_import).count() == count
    events = made.filter(events__kind=EventKind.IMPORTED).aggregate(n=Count("events"))["n"]
    assert events == count
    assert SlaClock.objects.filter(lead__in=made).count() == 2 * count
    again = leadloop("import", "resume", str(lead_import.pk), "--format", "json", tmp=tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    lead_import.refresh_from_db()
    assert lead_import.state == ImportState.DONE
    assert made.count() == ROWS
    assert made.values("email_key").distinct().count() == ROWS
    assert lead_import.created == ROWS
