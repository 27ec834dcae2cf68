"""Headless Chromium: every role opens every page of its menu, and the pages they lead
to (a lead, a report, a follow-up page, her settings), at a desk's width and a phone's.

It fails on what a new user would trip over: a menu link that answers 4xx/5xx, a page
wider than the screen, a raw `{placeholder}` or an internal key (`web_rfi`,
`meeting_held`) where words belong, a JavaScript error. Each page is saved as a
screenshot, and its load time on a realistic demo world written to `page-times.tsv`
(in $LEADLOOP_ARTIFACTS, else the test's temporary directory) for a person to look at:
times are measured, never asserted (a shared CI machine made a 0.5 s report page take
1.8 s), as the bench does for the hot paths.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from leadloop.accounts.choices import NotifyMode, Role
from leadloop.campaigns.choices import Channel
from leadloop.demo.seed import DEMO_PASSWORD, demo_login_lines, seed_demo
from leadloop.followup.choices import PurgatoryReason, StepAction
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.outreach.choices import Outcome
from leadloop.sla.choices import ClockKind

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = (1366, 390)
# A smaller world than `leadloop demo`'s 12,000 leads, seeded the same way: every
# queue, inbox, report and task list has work, and the suite stays quick.
DEMO_LEADS = 2500

CHOICES: list[type[models.TextChoices]] = [
    Stage,
    Action,
    EventKind,
    Channel,
    Outcome,
    ClockKind,
    PurgatoryReason,
    StepAction,
    Role,
    NotifyMode,
]
# Keys with an underscore never read as a word: seeing one means a label is missing.
INTERNAL_KEYS = sorted({str(v) for c in CHOICES for v in c.values if "_" in str(v)})
KEY_PATTERN = re.compile(r"(?<![\w/.=?&-])(" + "|".join(INTERNAL_KEYS) + r")(?![\w/.=-])")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Visible words only: not the code samples of the API and CLI hints.
VISIBLE_TEXT = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('code, kbd, script, style, template').forEach(e => e.remove());
  document.body.appendChild(clone);
  clone.style.position = 'absolute';
  const text = clone.innerText;
  clone.remove();
  return text;
}"""


def artifacts_dir(tmp_path: Path) -> Path:
    root = os.environ.get("LEADLOOP_ARTIFACTS")
    folder = Path(root) / "pages" if root else tmp_path / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def menu_links(page: Any) -> list[tuple[str, str]]:
    found = page.eval_on_selector_all(
        "header.topbar nav a[href], header.topbar .whoami a[href]",
        "els => els.map(e => [e.textContent.trim(), e.getAttribute('href')])",
    )
    return [
        (re.sub(r"\s+\d+$", "", name), href)
        for name, href in found
        if not href.startswith(("/api/", "/admin/"))
    ]


def first_link(page: Any, selector: str) -> str | None:
    href = page.eval_on_selector_all(
        selector, "els => els.length ? els[0].getAttribute('href') : null"
    )
    return href if isinstance(href, str) else None


def all_links(page: Any, selector: str) -> list[str]:
    found = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [href for href in found if isinstance(href, str)]


class Visit:
    """One browser page for one person at one width, checking each page it opens."""

    def __init__(self, page: Any, who: str, width: int, shots: Path) -> None:
        self.page, self.who, self.width, self.shots = page, who, width, shots
        self.errors: list[str] = []
        self.problems: list[str] = []
        self.times: list[tuple[str, float]] = []  # (page, seconds to its load event)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, name: str, href: str, *, menu: bool) -> None:
        page = self.page
        before = len(self.errors)
        started = time.perf_counter()
        response = page.goto(href, wait_until="load")
        took = time.perf_counter() - started
        where = f"{self.who} at {self.width} px, {name} ({href})"
        status = response.status if response is not None else 0
        if status >= 400 and menu:
            self.problems.append(f"{where}: answered {status}")
        self.times.append((where, took))
        overflow = page.evaluate(OVERFLOW)
        if overflow > 0:
            self.problems.append(f"{where}: {overflow} px wider than the screen")
        text = page.evaluate(VISIBLE_TEXT)
        for pattern, what in ((PLACEHOLDER, "placeholder"), (KEY_PATTERN, "internal key")):
            hits = sorted(set(pattern.findall(text)))
            if hits:
                self.problems.append(f"{where}: {what} in the text: {', '.join(hits[:5])}")
        if len(self.errors) > before:
            self.problems.append(f"{where}: console error: {self.errors[before:]}")
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.who}-{self.width}-{name}".lower()).strip("-")
        page.screenshot(path=str(self.shots / f"{slug}.png"), full_page=True)


def test_every_role_every_page_at_desk_and_phone_width(
    browser_context: Any, live_server: Any, tmp_path: Path
) -> None:
    seed_demo(leads=DEMO_LEADS, seed=16, now=timezone.now().replace(second=0, microsecond=0))
    shots = artifacts_dir(tmp_path)
    browser = browser_context.browser
    problems: list[str] = []
    times: list[tuple[str, float]] = []
    opened = 0
    for who, username in demo_login_lines():
        for width in WIDTHS:
            context = browser.new_context(
                base_url=live_server.url,
                viewport={"width": width, "height": 900},
                timezone_id="Europe/Berlin",
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto("/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)  # "**/" matched /login/ too
            visit = Visit(page, who, width, shots)
            page.goto("/")  # warm: the first render compiles the templates
            links = menu_links(page)
            assert links, f"{who} has no menu"
            for name, href in links:
                visit.open(name, href, menu=True)
            # The pages the menu leads to: a lead, a report, follow-up pages.
            page.goto("/leads/")
            lead = first_link(page, "#lead-table table a[href^='/leads/']")
            if lead:
                visit.open("a lead", lead, menu=False)
            page.goto("/reports/")
            for report in all_links(page, "main .card h2 a[href^='/reports/']"):
                visit.open(report.strip("/").replace("/", " "), report, menu=False)
            for extra in ("/follow-up/feedback-owed/", "/follow-up/purgatory/"):
                if any(href == "/follow-up/inbox/" for _, href in links):
                    visit.open(extra.strip("/").replace("/", " "), extra, menu=False)
            problems += visit.problems
            times += visit.times
            opened += 1
            context.close()
    (shots / "page-times.tsv").write_text(
        "".join(f"{took:.3f}\t{where}\n" for where, took in sorted(times, key=lambda t: -t[1]))
    )
    assert opened == 2 * len(demo_login_lines())
    assert not problems, "\n".join(problems)
