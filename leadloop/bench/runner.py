"""`leadloop bench` end to end: a fresh database, the parts in subprocesses, the report.

This process never touches a database itself: it may be configured for
another one (the developer's). Every measured part runs in a child whose
DATABASE_URL names the fresh database, and that database is dropped at the
end, also on Ctrl-C, unless --keep.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import django
import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import make_conninfo

from leadloop.bench.load import Phase, PhaseResult, merge_results, run_phase
from leadloop.bench.management.commands.bench_worker import RESULT_PREFIX
from leadloop.bench.measures import AUTH_CALLS, QUEUE_OPEN_LEADS, QUEUE_REQUESTS, TRANSITIONS
from leadloop.bench.report import REPORT_VERSION, build_figures
from leadloop.bench.sweep import SWEEP_LEADS

Log = Callable[[str], None]
BENCH_SETTINGS = "leadloop.bench.settings"
PG_SCHEMES = {"postgres", "postgresql", "pgsql"}
PG_NAME_MAX = 63
SERVER_START_TIMEOUT = 60.0
# A phase that takes longer than this is cut short; the report counts what ran.
PHASE_MAX_SECONDS = 300.0
CLIENT_BOUND_SHARE = 0.9
ROUNDS = 3


@dataclass(frozen=True)
class Options:
    leads: int
    database: str | None
    requests: int
    concurrency: int
    workers: int
    output: Path
    keep: bool
    seed: int = 1
    transitions: int = TRANSITIONS
    sweep_leads: int = SWEEP_LEADS
    import_rows: int = 100_000
    webhook_events: int = 1_000
    scoring: bool = True


@dataclass(frozen=True)
class FreshDatabase:
    url: str
    name: str


# ---------------------------------------------------------------- the database


def _pg_maintenance(url: str) -> psycopg.Connection[Any]:
    """A connection to the server's `postgres` database, where databases are made."""
    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST"),
        "port": cfg.get("PORT"),
        "user": cfg.get("USER"),
        "password": cfg.get("PASSWORD"),
    }
    conninfo = make_conninfo(dbname="postgres", **{k: str(v) for k, v in params.items() if v})
    return psycopg.connect(conninfo, autocommit=True)


@contextmanager
def fresh_database(
    url: str | None, *, workdir: Path, keep: bool, log: Log
) -> Iterator[FreshDatabase]:
    """An empty database for this run: a new PostgreSQL database or a SQLite file."""
    if url is None:
        path = workdir / "bench.sqlite3"
        yield FreshDatabase(url=f"sqlite:///{path}", name=str(path))
        return
    parts = urlsplit(url)
    if parts.scheme not in PG_SCHEMES:
        raise CommandError(f"--database must be a postgres:// URL, not {parts.scheme}://")
    base = parts.path.lstrip("/") or "leadloop"
    suffix = f"_bench_{os.getpid()}"
    name = base[: PG_NAME_MAX - len(suffix)] + suffix
    try:
        with _pg_maintenance(url) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise CommandError(f"cannot create database {name}: {exc}") from exc
    log(f"created database {name}")
    try:
        yield FreshDatabase(url=parts._replace(path=f"/{name}").geturl(), name=name)
    finally:
        if keep:
            log(f"kept database {name} (--keep)")
        else:
            with _pg_maintenance(url) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            log(f"dropped database {name}")


def child_env(database_url: str) -> dict[str, str]:
    """Production-like settings for every child: no DEBUG, persistent connections."""
    env = dict(os.environ)
    env.pop("SQLITE_NO_PERSIST", None)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=BENCH_SETTINGS,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # One client address sends every request: the forms' limits would measure themselves.
        FORMS_RATE_PER_ADDRESS="off",
        FORMS_RATE_PER_FORM="off",
    )
    if not database_url.startswith("sqlite") and not env.get("REDIS_URL"):
        # PostgreSQL needs a named task queue (leadloop.tick.checks); the
        # bench runs no worker, so a file of its own is enough.
        queue = Path(tempfile.gettempdir()) / "leadloop-bench.huey.sqlite3"
        env.setdefault("HUEY_FILE", str(queue))
    return env


def _manage(*args: str) -> list[str]:
    return [sys.executable, "-m", "leadloop", *args]


def migrate(env: dict[str, str]) -> None:
    # The children are this interpreter running leadloop: nothing here comes from a user.
    done = subprocess.run(  # noqa: S603
        _manage("migrate", "--noinput"),
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CommandError(f"migrate failed:\n{(done.stdout + done.stderr)[-3000:]}")


def run_worker(part: str, env: dict[str, str], *args: str, log: Log) -> dict[str, Any]:
    """One `bench_worker` part in a child; its stderr (progress, errors) passes through."""
    done = subprocess.run(  # noqa: S603
        _manage("bench_worker", part, *args),
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    result = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
        elif line.strip():
            log(f"[{part}] {line}")
    if done.returncode or not isinstance(result, dict):
        raise CommandError(
            f"bench_worker {part} failed (exit status {done.returncode}); its error is above"
        )
    return result


# ---------------------------------------------------------------- the web server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_pids(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses; fields after it do not.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, from /proc."""
    out = {}
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    return out


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return child_pids(self.process.pid)

    def memory(self) -> dict[str, Any]:
        workers = {pid: memory_mb(pid) for pid in self.workers()}
        return {
            "master": memory_mb(self.process.pid),
            "workers": {str(pid): m for pid, m in workers.items()},
            "max_mb": round(max((m.get("rss_mb", 0.0) for m in workers.values()), default=0), 1),
        }


def _tail(path: Path, chars: int = 3000) -> str:
    with suppress(OSError):
        return path.read_text(errors="replace")[-chars:]
    return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master and workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log_path: Path) -> Iterator[Server]:
    """gunicorn serving the project (plus the bare endpoint) on a free local port."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        # The production settings (README): the same hooks as a deployment.
        "--config",
        str(Path(settings.BASE_DIR) / "config" / "gunicorn_conf.py"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603
            cmd,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        server = Server(process, port)
        _wait_ready(server, workers=workers, log_path=log_path)
        yield server
    finally:
        _stop(process)


def _answers(port: int) -> bool:
    """Whether the bare endpoint answers 200 on `port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/bench/bare")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _wait_ready(server: Server, *, workers: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise CommandError(
                f"gunicorn exited with status {server.process.returncode}:\n{_tail(log_path)}"
            )
        if _answers(server.port) and len(server.workers()) >= workers:
            return
        time.sleep(0.2)
    raise CommandError(
        f"gunicorn did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{_tail(log_path)}"
    )


# ---------------------------------------------------------------- the API load


def measure_api(
    env: dict[str, str], api: dict[str, Any], options: Options, workdir: Path, log: Log
) -> dict[str, Any]:
    """Intake and listing against the bare endpoint, on one server, in alternation."""
    numbers = itertools.count()
    tag = f"{os.getpid()}-{time.time_ns() % 10**9}"

    def intake_body() -> bytes:
        n = next(numbers)
        return json.dumps(
            {
                "campaign": api["campaign"],
                "first_name": "Bench",
                "last_name": f"Intake{n}",
                "company": f"Bench {tag} {n}",
                "email": f"bench-{tag}-{n}@intake.example",
                "country": "DE",
                "title": "Head of Operations",
                "industry": "Software",
            }
        ).encode()

    def form_body() -> bytes:
        """The same person fields as the API intake, to the form, with its page stamp."""
        fields = json.loads(intake_body())
        fields.pop("campaign")
        return json.dumps(fields | {"_stamp": api["form_stamp"]}).encode()

    def idempotency_key() -> dict[str, str]:
        return {"Idempotency-Key": f"bench-{tag}-{next(numbers)}"}

    auth = {"Authorization": f"Bearer {api['token']}"}
    json_headers = {"Content-Type": "application/json"}
    # The ids the baseline endpoints write with (leadloop.bench.baseline).
    env = env | {"LEADLOOP_BENCH_BASELINE": json.dumps(api["baseline"])}
    with gunicorn(env, workers=options.workers, log_path=workdir / "gunicorn.log") as server:
        base = server.base_url
        phases = [
            # The floor of a request through the stack, kept as a reference.
            Phase("bare_get", "GET", f"{base}/bench/bare"),
            Phase("bare_list", "GET", f"{base}/bench/list"),
            Phase("list", "GET", f"{base}/api/v1/leads?limit=25", headers=auth),
            Phase(
                "bare_post", "POST", f"{base}/bench/bare", body=intake_body, headers=json_headers
            ),
            Phase(
                "bare_insert",
                "POST",
                f"{base}/bench/insert",
                expect=201,
                body=intake_body,
                headers=json_headers,
            ),
            Phase(
                "raw_intake",
                "POST",
                f"{base}/bench/intake",
                expect=201,
                body=intake_body,
                headers=json_headers,
                headers_each=idempotency_key,
            ),
            # With an Idempotency-Key, as a client that retries safely sends it: intake
            # then writes its answer too, as the raw intake does.
            Phase(
                "intake",
                "POST",
                f"{base}/api/v1/leads",
                expect=201,
                body=intake_body,
                headers=auth | json_headers,
                headers_each=idempotency_key,
            ),
            # A public web form's intake (leadloop.web.webforms.public), JSON as the snippet
            # sends it: the spam checks, then the same create_lead and a submission row.
            Phase(
                "form_intake",
                "POST",
                f"{base}/f/{api['form_key']}",
                body=form_body,
                headers=json_headers | {"Accept": "application/json"},
            ),
        ]
        # Warm up: imports, first connections, caches; not counted.
        for phase in phases:
            run_phase(
                phase,
                requests=max(20, 4 * options.concurrency),
                concurrency=options.concurrency,
                max_seconds=60,
            )
        idle = server.memory()
        # Each endpoint runs in ROUNDS rounds, all of them in turn within each round, so
        # a spell of load from elsewhere on the machine hits the API and its baselines
        # alike; a figure is the sum of its rounds.
        per_round = max(1, options.requests // ROUNDS)
        log(
            f"API: {len(phases)} endpoints, {ROUNDS} rounds of {per_round} requests each, "
            f"concurrency {options.concurrency}"
        )
        measured: dict[str, list[PhaseResult]] = {phase.name: [] for phase in phases}
        for round_ in range(1, ROUNDS + 1):
            for phase in phases:
                measured[phase.name].append(
                    run_phase(
                        phase,
                        requests=per_round,
                        concurrency=options.concurrency,
                        max_seconds=PHASE_MAX_SECONDS / ROUNDS,
                    )
                )
            log(f"API: round {round_} of {ROUNDS} done")
        results = {}
        for phase in phases:
            result = merge_results(measured[phase.name])
            results[phase.name] = result.as_json()
            log(
                f"API: {phase.name}: {result.rps:,.0f} req/s, "
                f"p50 {results[phase.name]['p50_ms']:.1f} ms, "
                f"p99 {results[phase.name]['p99_ms']:.1f} ms, {result.errors} errors"
            )
        after = server.memory()
    return {
        "phases": results,
        "rss": {
            "idle_max_mb": idle["max_mb"],
            "after_max_mb": after["max_mb"],
            "idle": idle,
            "after": after,
        },
        "server": {"software": "gunicorn", "worker_class": "sync", "workers": options.workers},
    }


# ---------------------------------------------------------------- the run


def reference_loop_ms(steps: int = 1_000_000, repeat: int = 3) -> float:
    """A fixed pure-Python loop, best of `repeat`: how fast this machine's core is.

    The same code runs several times slower on one cloud machine than on
    another (or on the same one, from hour to hour); this figure beside the
    results says which kind of machine they came from.
    """
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for i in range(steps):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine_info() -> dict[str, Any]:
    memory_kb = 0
    with suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "cpu_count": os.cpu_count(),
        "memory_mb": round(memory_kb / 1024),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reference_loop_ms": reference_loop_ms(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
    }


def _warnings(api: dict[str, Any], seed: dict[str, Any]) -> list[str]:
    out = []
    for name, phase in api["phases"].items():
        if phase["errors"]:
            out.append(
                f"API {name}: {phase['errors']} of {phase['requests']} requests failed "
                f"({phase['statuses']})"
            )
        if phase["client_cpu_share"] >= CLIENT_BOUND_SHARE:
            out.append(
                f"API {name}: the client used {phase['client_cpu_share']:.0%} of a core; "
                "the server may be faster than measured"
            )
    if not seed["rows"]:
        out.append("the seeder reported no rows written")
    return out


def run(options: Options, *, log: Log) -> tuple[dict[str, Any], Path]:
    """Measure everything, write the JSON file; returns the report and its path."""
    started = timezone.now()
    machine = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="leadloop-bench-"))
    try:
        with fresh_database(options.database, workdir=workdir, keep=options.keep, log=log) as db:
            env = child_env(db.url)
            log("migrating the fresh database")
            migrate(env)
            info = run_worker("info", env, log=log)
            log(f"raw insert baseline: {options.leads:,} lead rows")
            copy = run_worker("copy", env, "--leads", str(options.leads), log=log)
            log(f"baseline: {copy['rows_per_s']:,.0f} rows/s; seeding {options.leads:,} leads")
            # A progress bar only for a person watching; in a log it is noise.
            bar = ["--progress"] if sys.stderr.isatty() else []
            seed_args = ["--leads", str(options.leads), "--seed", str(options.seed), *bar]
            seed = run_worker("seed", env, *seed_args, log=log)
            log(
                f"seeded {seed['rows']:,} rows in {seed['seconds']:.1f} s "
                f"({seed['rows_per_s']:,.0f} rows/s)"
            )
            api_setup = run_worker("prepare-api", env, log=log)
            n = options.transitions
            log(f"transitions: {n} start_work and {n} raw UPDATEs")
            transitions = run_worker("transitions", env, "--count", str(n), log=log)
            log(
                f"transition p50 {transitions['service']['p50_ms']:.2f} ms "
                f"(raw UPDATE {transitions['baseline']['p50_ms']:.2f} ms)"
            )
            log(f"token authentication: check_token and a raw SELECT by digest, {AUTH_CALLS} each")
            auth = run_worker("auth", env, "--count", str(AUTH_CALLS), log=log)
            log(
                f"check_token p50 {auth['service']['p50_ms']:.3f} ms, "
                f"p99 {auth['service']['p99_ms']:.3f} ms "
                f"(raw SELECT p50 {auth['baseline']['p50_ms']:.3f} ms)"
            )
            api = measure_api(env, api_setup, options, workdir, log)
            phases = api["phases"]

            def times(name: str, baseline: str) -> str:
                return f"{phases[name]['rps'] / max(phases[baseline]['rps'], 0.1):.2f}x"

            log(
                f"API intake {times('intake', 'bare_insert')} the bare insert, "
                f"{times('intake', 'raw_intake')} the raw intake; "
                f"list {times('list', 'bare_list')} the bare 25-row list"
            )
            log(
                f"queue page: a new inside rep with {QUEUE_OPEN_LEADS:,} open leads, "
                f"{QUEUE_REQUESTS} GETs of /queue/ and of a raw SELECT"
            )
            queue = run_worker(
                "queue",
                env,
                "--open-leads",
                str(QUEUE_OPEN_LEADS),
                "--requests",
                str(QUEUE_REQUESTS),
                log=log,
            )
            log(
                f"queue page p50 {queue['service']['p50_ms']:.1f} ms, "
                f"p99 {queue['service']['p99_ms']:.1f} ms, {queue['open_leads']:,} open leads "
                f"(raw SELECT p50 {queue['baseline']['p50_ms']:.1f} ms)"
            )
            log("reports: each one and its plainest SQL baseline, best of 3")
            reports = run_worker("reports", env, log=log)
            for name, r in reports.items():
                log(
                    f"report {name}: {r['seconds'] * 1000:,.0f} ms "
                    f"(baseline {r['baseline_seconds'] * 1000:,.0f} ms)"
                )
            imported = exported = None
            if options.import_rows:
                log(
                    f"import: {options.import_rows:,} Salesforce rows into the seeded leads, "
                    "and their raw COPY"
                )
                imported = run_worker("import", env, "--rows", str(options.import_rows), log=log)
                log(
                    f"import {imported['rows_per_s']:,.0f} rows/s "
                    f"(raw {imported['baseline_rows_per_s']:,.0f} rows/s), "
                    f"peak {imported['peak_rss_mb']:,.0f} MB"
                )
            log("export: every lead to CSV, and a raw read of the table")
            exported = run_worker("export", env, log=log)
            log(
                f"export {exported['rows_per_s']:,.0f} rows/s of {exported['leads']:,} leads "
                f"(raw {exported['baseline_rows_per_s']:,.0f} rows/s)"
            )
            hooks = None
            if options.webhook_events:
                log(f"webhooks: {options.webhook_events:,} queued messages to a local receiver")
                hooks = run_worker(
                    "webhooks",
                    env,
                    "--events",
                    str(options.webhook_events),
                    "--count",
                    str(options.transitions),
                    log=log,
                )
                log(
                    f"webhooks {hooks['per_s']:,.0f} msg/s (bare {hooks['baseline_per_s']:,.0f}); "
                    f"outbox adds {hooks['outbox']['added_p50_ms']:.2f} ms to a transition's p50"
                )
            scored = None
            if options.scoring:
                size = str(options.leads)
                log(f"scoring: tuning on {options.leads:,} synthetic closed leads, 30 attributes")
                tuned = run_worker("scoring-tune", env, "--leads", size, log=log)
                log(f"scoring: rescoring {options.leads:,} open leads, intake with a model")
                rescored = run_worker("scoring-rescore", env, "--open-leads", size, log=log)
                scored = {"tuning": tuned, "rescoring": rescored}
                log(
                    f"tuning {tuned['seconds']:,.1f} s, peak {tuned['peak_rss_mb']:,.0f} MB "
                    f"(plain logistic {tuned['baseline_seconds']:,.1f} s); rescoring "
                    f"{rescored['open_leads']:,} open leads {rescored['seconds']:,.1f} s "
                    f"(a raw upsert of their score rows {rescored['baseline_seconds']:,.1f} s)"
                )
            sweep = None
            if options.sweep_leads:
                # Last: it adds its open leads to the database the other parts measured.
                log(f"SLA sweep: adding {options.sweep_leads:,} open leads, 1% due")
                sweep = run_worker("sweep", env, "--open-leads", str(options.sweep_leads), log=log)
                log(
                    f"sweep {sweep['seconds'] * 1000:,.0f} ms for {sweep['breached']:,} breaches; "
                    f"raw UPDATE {sweep['baseline_seconds'] * 1000:,.0f} ms"
                )
    finally:
        if options.keep and options.database is None:
            log(f"kept the SQLite database in {workdir} (--keep)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    finished = timezone.now()
    duration = round((finished - started).total_seconds(), 1)
    figures = build_figures(
        duration_s=duration,
        auth=auth,
        queue=queue,
        copy=copy,
        seed=seed,
        api=api,
        transitions=transitions,
        sweep=sweep,
        reports=reports,
        imported=imported,
        exported=exported,
        hooks=hooks,
        scored=scored,
    )
    report = {
        "version": REPORT_VERSION,
        "date": started.date().isoformat(),
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_s": duration,
        "database": {**info, "name": db.name, "kept": options.keep},
        "machine": machine,
        "parameters": {
            "leads": options.leads,
            "requests": options.requests,
            "concurrency": options.concurrency,
            "workers": options.workers,
            "seed": options.seed,
            "transitions": options.transitions,
            "sweep_leads": options.sweep_leads,
            "import_rows": options.import_rows,
            "webhook_events": options.webhook_events,
            "scoring": options.scoring,
        },
        "figures": {f.name: f.as_json(vendor=info["vendor"], leads=options.leads) for f in figures},
        "details": {
            "copy": copy,
            "seed": seed,
            "api": api,
            "api_user": {k: api_setup[k] for k in ("user", "role", "campaign", "leads_in_table")},
            "transitions": transitions,
            "auth": auth,
            "queue": queue,
            "reports": reports,
            "import": imported,
            "export": exported,
            "sweep": sweep,
            "webhooks": hooks,
            "scoring": scored,
        },
        "warnings": _warnings(api, seed),
    }
    log(f"done: every figure measured in {duration:,.1f} s")
    return report, write_report(report, options.output, started)


def result_name(report: dict[str, Any], started: datetime) -> str:
    """<date>-<database>-<leads>.json: a 100,000 and a 1,000,000 run of one day both stay."""
    return (
        f"{started.date().isoformat()}-{report['database']['vendor']}-"
        f"{report['parameters']['leads']}.json"
    )


def write_report(report: dict[str, Any], directory: Path, started: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / result_name(report, started)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path
