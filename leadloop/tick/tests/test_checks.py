"""Where tasks are queued: one queue for every web process and worker, whatever their directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leadloop.tick.checks import QUEUE_BOTH, QUEUE_RELATIVE, QUEUE_UNSET, queue_problems

PG = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"


def ids(**kwargs: object) -> list[str]:
    args: dict[str, object] = {"redis_url": "", "huey_file": "", "immediate": False} | kwargs
    return [p.id or "" for p in queue_problems(**args)]  # type: ignore[arg-type]


def test_postgresql_needs_redis_or_a_queue_file() -> None:
    [problem] = queue_problems(engine=PG, redis_url="", huey_file="", immediate=False)
    assert problem.id == QUEUE_UNSET
    assert "REDIS_URL" in str(problem.hint) and "HUEY_FILE" in str(problem.hint)
    assert ids(engine=PG, redis_url="redis://queue:6379/0") == []
    assert ids(engine=PG, huey_file="/var/lib/leadloop/queue.sqlite3") == []


def test_a_relative_queue_file_is_flagged() -> None:
    assert ids(engine=PG, huey_file="queue.sqlite3") == [QUEUE_RELATIVE]
    assert ids(engine=SQLITE, huey_file="./queue.sqlite3") == [QUEUE_RELATIVE]


def test_both_settings_say_which_wins() -> None:
    assert ids(engine=PG, redis_url="redis://q/0", huey_file="/q.sqlite3") == [QUEUE_BOTH]


def test_immediate_mode_needs_no_queue() -> None:
    assert ids(engine=PG, immediate=True) == []


def leadloop(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "HUEY_FILE"}}
    return subprocess.run(
        [sys.executable, "-m", "leadloop", *args],
        env=clean | {"HUEY_IMMEDIATE": "false"} | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_refuses_postgresql_without_a_queue_and_says_what_to_set(tmp_path: Path) -> None:
    # `check` does not connect: nothing needs to listen at this address.
    result = leadloop(
        "check", cwd=tmp_path, DATABASE_URL="postgres://leadloop@127.0.0.1:9/leadloop"
    )
    assert result.returncode != 0
    assert QUEUE_UNSET in result.stderr
    assert "REDIS_URL" in result.stderr and "HUEY_FILE=" in result.stderr
    assert list(tmp_path.iterdir()) == []  # and no queue file in the working directory
    ok = leadloop(
        "check",
        cwd=tmp_path,
        DATABASE_URL="postgres://leadloop@127.0.0.1:9/leadloop",
        HUEY_FILE=str(tmp_path / "queue.sqlite3"),
    )
    assert ok.returncode == 0, ok.stderr


def test_the_default_sqlite_queue_sits_beside_the_database_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "HUEY_FILE"}} | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{data}/ll.sqlite3",
    }
    code = "from django.conf import settings; print(settings.HUEY_FILE)"
    found = set()
    # A web process and a worker started in different directories.
    for where in ("web", "worker"):
        (tmp_path / where).mkdir()
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=tmp_path / where,
            capture_output=True,
            text=True,
            check=True,
        )
        found.add(result.stdout.strip())
    assert found == {str(data / "ll.huey.sqlite3")}
