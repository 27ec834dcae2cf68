"""The import and the export, measured: a Salesforce-format file into a full database, and out.

The file is made here, shaped like a Salesforce lead export (report labels,
US dates with AM/PM, statuses, phones in several forms); a share of its rows
are people the database already has, so matching finds duplicates and
returning prospects as it would on a team's real data. The import's
baseline is a raw COPY (executemany on SQLite) of the same file's rows
into a bare table of text columns, in the same process and run: the floor
any import pays for getting the rows into the database at all.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from leadloop.accounts.choices import TeamKind
from leadloop.accounts.models import Team
from leadloop.bench.measures import peak_rss_mb
from leadloop.campaigns.models import Campaign
from leadloop.imports.services import create_import, store_path
from leadloop.leads.export import export_csv
from leadloop.leads.models import Lead
from leadloop.lifecycle.imports import run_import

HEADER = [
    "First Name",
    "Last Name",
    "Title",
    "Company / Account",
    "Email",
    "Phone",
    "Lead Source",
    "Lead Status",
    "Created Date",
    "Country",
    "State/Province",
    "Employees",
    "Industry",
    "Rating",
]
STATUSES = [
    ("Open - Not Contacted", 60),
    ("Working - Contacted", 20),
    ("Closed - Not Converted", 12),
    ("Closed - Converted", 0),
    ("Unqualified", 8),
]
SOURCES = ["Web", "Trade Show", "Webinar", "Partner Referral", "Purchased List"]
COUNTRIES = [("United States", "+1 {a}{b} 555 {c}"), ("Germany", "+49 30 {a}{b}{c}"), ("DE", "")]
# The share of the file's rows that are people the database already holds.
KNOWN_SHARE = 0.05
SCRATCH = "leadloop_bench_import_raw"


def write_file(path: Path, rows: int, *, seed: int = 7) -> int:
    """A Salesforce-format CSV of `rows` leads; returns how many are already-known people."""
    rng = random.Random(seed)
    statuses = [s for s, w in STATUSES for _ in range(w)]
    known = list(
        Lead.objects.exclude(email="")
        .order_by("?")
        .values_list("email", flat=True)[: int(rows * KNOWN_SHARE)]
    )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            country, phone = COUNTRIES[i % len(COUNTRIES)]
            email = known[i // 20] if i % 20 == 0 and i // 20 < len(known) else ""
            email = email or f"lead{i}.{seed}@firm{i % 5003}.example"
            month, day, hour = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 12)
            writer.writerow(
                [
                    f"First{i}x{seed}",
                    f"Last{i}",
                    "Head of Operations",
                    f"Firm {i % 5003} Inc.",
                    email,
                    phone.format(a=rng.randint(2, 9), b=rng.randint(10, 99), c=1000 + i % 9000)
                    if phone and i % 2
                    else "",
                    SOURCES[i % len(SOURCES)],
                    statuses[i % len(statuses)],
                    f"{month}/{day}/2025 {hour}:{rng.randint(10, 59)} {'AM' if i % 2 else 'PM'}",
                    country,
                    "CA" if country == "United States" else "Berlin",
                    str(10 + i % 900),
                    "Logistics",
                    "Warm",
                ]
            )
    return len(known)


def _raw_copy(path: Path) -> tuple[int, float]:
    """The file's rows into a bare table of text columns: (rows, seconds)."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cur.execute(f"CREATE TABLE {SCRATCH} ({columns})")
    connection.ensure_connection()
    raw: Any = connection.connection
    start = time.perf_counter()
    count = 0
    with transaction.atomic(), path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY {SCRATCH} FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" * len(HEADER))
            rows = list(reader)
            raw.executemany(f"INSERT INTO {SCRATCH} VALUES ({marks})", rows)  # noqa: S608
            count = len(rows)
    seconds = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {SCRATCH}")
    return count, seconds


def measure_import(*, rows: int) -> dict[str, Any]:
    """A Salesforce export of `rows` leads into the database as it is; and its raw COPY."""
    workdir = Path(tempfile.mkdtemp(prefix="leadloop-bench-import-"))
    path = workdir / "salesforce-leads.csv"
    leads_before = Lead.objects.count()
    known = write_file(path, rows)
    copied, copy_seconds = _raw_copy(path)
    team = Team.objects.filter(kind=TeamKind.TELEPROSPECTING).order_by("pk").first()
    if team is None:
        raise RuntimeError("the bench's database has no teleprospecting team; seed it first")
    campaign, _ = Campaign.objects.get_or_create(
        name="Bench: Salesforce import", defaults={"channel": "other", "team": team}
    )
    before_mb = peak_rss_mb()
    start = time.perf_counter()
    lead_import = create_import(
        stored=store_path(path),
        file_name=path.name,
        actor=None,
        now=timezone.now(),
        mapping="salesforce",
        campaign=campaign,
    )
    summary = run_import(lead_import, actor=None, now=timezone.now())
    seconds = time.perf_counter() - start
    path.unlink()
    workdir.rmdir()
    return {
        "rows": rows,
        "leads_before": leads_before,
        "known_people_in_file": known,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 1) if seconds else 0.0,
        "created": summary.created,
        "duplicates": summary.duplicates,
        "reopened": summary.reopened,
        "skipped": summary.skipped,
        "baseline_method": "COPY" if connection.vendor == "postgresql" else "executemany",
        "baseline_rows": copied,
        "baseline_seconds": round(copy_seconds, 3),
        "baseline_rows_per_s": round(copied / copy_seconds, 1) if copy_seconds else 0.0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_mb": round(before_mb, 1),
    }


def measure_export() -> dict[str, Any]:
    """Every lead to a CSV file, as `leadloop export leads` writes it; and a raw read of them."""
    leads = Lead.objects.all()
    total = leads.count()
    before_mb = peak_rss_mb()
    start = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw: Any = connection.connection
            with raw.cursor() as rc, rc.copy("COPY leads_lead TO STDOUT") as copy:
                for _ in copy:
                    pass
        else:
            cur.execute("SELECT * FROM leads_lead")
            while cur.fetchmany(10_000):
                pass
    baseline = time.perf_counter() - start
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        written = -1
        for chunk in export_csv(leads):
            out.write(chunk)
            written += chunk.count(b"\n")
        seconds = time.perf_counter() - start
        size = out.tell()
    return {
        "leads": total,
        "written": written,
        "bytes": size,
        "seconds": round(seconds, 3),
        "rows_per_s": round(written / seconds, 1) if seconds else 0.0,
        "baseline_method": "COPY TO" if connection.vendor == "postgresql" else "SELECT *",
        "baseline_seconds": round(baseline, 3),
        "baseline_rows_per_s": round(total / baseline, 1) if baseline else 0.0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_mb": round(before_mb, 1),
    }
