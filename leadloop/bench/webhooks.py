"""Webhooks, measured: deliveries per second to a local receiver, and what the outbox
adds to a transition.

Deliveries: 1,000 messages about seeded lead events are queued to one
endpoint and sent by `deliver_due` (claim, body, signature, POST on a new
connection to the checked address, the attempt recorded), to a receiver in
a process of its own on 127.0.0.1 that answers 200. The baseline POSTs the
same bodies to the same receiver with nothing else: no database, no
signature, a new connection each, as the sender opens one per message.

The outbox: `start_work` transitions, alternately with an endpoint that
wants every event (each writes its message and queues the worker's task)
and with no active endpoint (one small read per transaction); the figure
is the p50 of each, the target that the difference stays under 1 ms.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from leadloop.bench.measures import WARMUP, _startable_leads, latency_summary
from leadloop.leads.choices import Action
from leadloop.leads.models import LeadEvent
from leadloop.lifecycle import webhooks
from leadloop.lifecycle.transitions import lead_transition
from leadloop.webhooks import services
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.rules import event_type

WEBHOOK_EVENTS = 1_000
OUTBOX_TRANSITIONS = 200

# A receiver in its own process: answers 200 to every POST, prints its port.
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _receiver() -> tuple[subprocess.Popen[str], int]:
    # This interpreter and the fixed script above: no outside input.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def _raw_posts(port: int, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/hook", body=body, headers={"content-type": "application/json"})
        conn.getresponse().read()
        conn.close()
    return time.perf_counter() - started


def measure_webhooks(
    *, events: int = WEBHOOK_EVENTS, transitions: int = OUTBOX_TRANSITIONS
) -> dict[str, Any]:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    process, port = _receiver()
    try:
        now = timezone.now()
        endpoint, _ = services.create_endpoint(
            url=f"http://127.0.0.1:{port}/hook", events=["*"], owner=None, team=None, now=now
        )
        outbox = _outbox_cost(endpoint, transitions)
        sent = _deliveries(endpoint, events)
        bodies = [d.body.encode() for d in Delivery.objects.filter(endpoint=endpoint)[:events]]
        raw_seconds = _raw_posts(port, bodies)
        endpoint.delete()
    finally:
        process.kill()
        process.wait()
    return {
        **sent,
        "baseline_messages": len(bodies),
        "baseline_seconds": round(raw_seconds, 3),
        "baseline_per_s": round(len(bodies) / raw_seconds, 1) if raw_seconds else 0.0,
        "outbox": outbox,
    }


def _deliveries(endpoint: Endpoint, count: int) -> dict[str, Any]:
    rows = list(LeadEvent.objects.select_related("lead").order_by("-pk")[: count * 2])
    picked = [
        services.Outgoing(e, t, e.lead.team_id)
        for e in rows
        if (t := event_type(e.kind, e.action)) is not None
    ][:count]
    now = timezone.now()
    Delivery.objects.filter(endpoint=endpoint).delete()
    services.write_for_events(picked, now=now)
    started = time.perf_counter()
    result = webhooks.deliver_due(now=now, limit=count)
    seconds = time.perf_counter() - started
    return {
        "messages": result.sent,
        "delivered": result.delivered,
        "seconds": round(seconds, 3),
        "per_s": round(result.sent / seconds, 1) if seconds else 0.0,
    }


def _outbox_cost(endpoint: Endpoint, count: int) -> dict[str, Any]:
    leads = [lead for lead in _startable_leads(2 * (count + WARMUP)) if lead.owner_id]
    on: list[float] = []
    off: list[float] = []
    for i, lead in enumerate(leads):
        active = i % 2 == 0
        Endpoint.objects.filter(pk=endpoint.pk).update(is_active=active)
        _ = lead.owner.role if lead.owner else None
        started = time.perf_counter()
        lead_transition(
            lead=lead.pk, action=Action.START_WORK, actor=lead.owner, now=timezone.now()
        )
        took = time.perf_counter() - started
        if i >= 2 * WARMUP:
            (on if active else off).append(took)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    with_endpoint, without = latency_summary(on), latency_summary(off)
    return {
        "with_endpoint": with_endpoint,
        "without_endpoint": without,
        "added_p50_ms": round(with_endpoint["p50_ms"] - without["p50_ms"], 3),
        "messages_written": Delivery.objects.filter(endpoint=endpoint).count(),
    }
