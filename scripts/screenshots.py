"""Take the README's screenshots from a fresh demo: `python scripts/screenshots.py`.

Seeds the demo organisation (`leadloop demo --no-serve`) into a temporary SQLite
database, serves it on a free local port, and photographs the main pages with
headless Chromium (Debian's, through Playwright) into docs/screenshots/. Run it
after changing a page so the README shows the app as it is.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "leadloop-demo"
# (file, username, path, width): the pages a new reader wants to see first.
SHOTS = [
    ("manager-home.png", "katrin.vogel", "/", 1366),
    ("inside-rep-queue.png", "lena.hoffmann", "/queue/", 1366),
    ("lead-page.png", "lena.hoffmann", "LEAD", 1366),
    ("sales-rep-home.png", "andreas.keller", "/", 1366),
    ("sla-report.png", "katrin.vogel", "/reports/sla/", 1366),
    ("campaign-roi.png", "laura.schmidt", "/reports/campaigns/", 1366),
    ("phone-queue.png", "lena.hoffmann", "/queue/", 390),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the demo server did not answer at {url}")


def shoot(base: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for name, user, path, width in SHOTS:
            height = 844 if width < 500 else 800
            context = browser.new_context(
                base_url=base,
                viewport={"width": width, "height": height},
                timezone_id="Europe/Berlin",
            )
            page = context.new_page()
            page.goto("/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/")
            if path == "LEAD":
                page.goto("/queue/")
                path = page.get_attribute("table.queue tbody a", "href") or "/"
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / name))
            print(f"  {name}: {user} {path} at {width} px")
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--leads", type=int, default=12000)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    leadloop = [sys.executable, "-m", "leadloop"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_MANIFEST": "false",
        }
        subprocess.run(  # noqa: S603 - this interpreter running leadloop, no user input
            [*leadloop, "demo", "--no-serve", "--leads", str(args.leads)],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - as above
            [*leadloop, "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/login/")
            print(f"Screenshots into {args.out}:")
            shoot(base, args.out, args.chromium)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
