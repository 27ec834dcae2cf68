"""`leadloop webhooks list|test|resend|deliver`: webhook endpoints from the shell.

`list` shows every endpoint with its message counts; `test ID` sends a test
event now and says what came back; `resend ID DELIVERY` sends one message
again, `resend ID --failed-since TIME` every failed one written since then;
`deliver [--now ISO]` sends whatever is due (the tick does the same each
minute).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadloop.cli.options import moment
from leadloop.lib.times import iso_utc, now_option
from leadloop.lifecycle import webhooks
from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from leadloop.webhooks.selectors import counts, endpoints


class Command(BaseCommand):
    help = "Webhook endpoints: list them, send a test event, resend messages, deliver due ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every endpoint and its message counts")
        listing.add_argument("--json", action="store_true", help="print JSON")
        test = sub.add_parser("test", help="send a test event to an endpoint now")
        test.add_argument("endpoint", type=int)
        resend = sub.add_parser("resend", help="send a message again, or every failed one")
        resend.add_argument("endpoint", type=int)
        resend.add_argument("delivery", type=int, nargs="?", help="the message's id")
        resend.add_argument(
            "--failed-since", dest="since", help="every failed message since (date or ISO time)"
        )
        deliver = sub.add_parser("deliver", help="send every message due now")
        deliver.add_argument("--now", help="the time to run at (ISO 8601 with offset)")
        deliver.add_argument("--limit", type=int, default=10_000)
        for p in (test, resend, deliver):
            p.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "list":
            self._list(opts)
        elif action == "test":
            self._test(opts)
        elif action == "resend":
            self._resend(opts)
        else:
            result = webhooks.deliver_due(now=now_option(opts["now"]), limit=opts["limit"])
            self._out(
                opts,
                result.as_dict(),
                f"{result.delivered} of {result.sent} messages delivered, "
                f"{result.failed_attempts} attempts failed, {result.disabled} endpoints disabled.",
            )

    def _out(self, opts: dict[str, Any], data: Any, text: str) -> None:
        self.stdout.write(json.dumps(data) if opts.get("json") else text)

    def _endpoint(self, pk: int) -> Endpoint:
        endpoint = Endpoint.objects.filter(pk=pk).first()
        if endpoint is None:
            raise CommandError(f"no webhook endpoint {pk}; `leadloop webhooks list` shows them")
        return endpoint

    def _list(self, opts: dict[str, Any]) -> None:
        rows: list[dict[str, Any]] = []
        for e in endpoints():
            rows.append(
                {
                    "id": e.pk,
                    "url": e.url,
                    "events": e.events,
                    "team": e.team.name if e.team else None,
                    "active": e.is_active,
                    "disabled_reason": e.disabled_reason,
                    "deliveries": counts(e),
                }
            )
        if opts["json"]:
            self.stdout.write(json.dumps(rows))
            return
        if not rows:
            self.stdout.write("No webhook endpoints.")
        for r in rows:
            state = "on" if r["active"] else f"off ({r['disabled_reason']})"
            tally = ", ".join(f"{n} {s}" for s, n in sorted(r["deliveries"].items())) or "none"
            self.stdout.write(
                f"{r['id']}  {r['url']}  [{' '.join(r['events'])}]  "
                f"team: {r['team'] or 'all'}  {state}  messages: {tally}"
            )

    def _test(self, opts: dict[str, Any]) -> None:
        endpoint = self._endpoint(opts["endpoint"])
        now = now_option(None)
        try:
            delivery = webhooks.send_test(endpoint, now=now)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        webhooks.deliver_due(now=now, ids=[delivery.pk])
        delivery.refresh_from_db()
        attempt = DeliveryAttempt.objects.filter(delivery=delivery).order_by("-id").first()
        data = {
            "delivery": delivery.pk,
            "message_id": delivery.message_id,
            "state": delivery.state,
            "status": attempt.status_code if attempt else None,
            "latency_ms": attempt.latency_ms if attempt else None,
            "error": attempt.error if attempt else "",
            "response": attempt.response if attempt else "",
        }
        what = (
            f"answered {data['status']} in {data['latency_ms']} ms"
            if data["status"] is not None
            else f"failed: {data['error'] or 'not sent yet'}"
        )
        self._out(opts, data, f"Test event {delivery.message_id} to {endpoint.url}: {what}.")
        if delivery.state != "delivered":
            raise CommandError(f"the test event was not delivered ({what})")

    def _resend(self, opts: dict[str, Any]) -> None:
        endpoint = self._endpoint(opts["endpoint"])
        now = now_option(None)
        since = moment(opts["since"], "--failed-since")
        if opts["delivery"] is None and since is None:
            raise CommandError("name a message (its id) or --failed-since TIME")
        if opts["delivery"] is not None:
            delivery = Delivery.objects.filter(pk=opts["delivery"], endpoint=endpoint).first()
            if delivery is None:
                raise CommandError(f"endpoint {endpoint.pk} has no message {opts['delivery']}")
            webhooks.resend(delivery, now=now)
            result = webhooks.deliver_due(now=now, ids=[delivery.pk])
            delivery.refresh_from_db()
            self._out(
                opts,
                {"delivery": delivery.pk, "state": delivery.state, "status": delivery.last_status},
                f"Message {delivery.pk} sent again: {delivery.state} "
                f"(status {delivery.last_status}); {result.sent} attempt(s).",
            )
            return
        assert since is not None
        count = webhooks.resend_failed(endpoint, since=since, now=now)
        result = webhooks.deliver_due(now=now)
        self._out(
            opts,
            {"queued": count, **result.as_dict()},
            f"{count} failed messages since {iso_utc(since)} queued again; "
            f"{result.delivered} of {result.sent} delivered now.",
        )
