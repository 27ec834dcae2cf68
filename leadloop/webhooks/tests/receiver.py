"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread that
verifies every signature with the `standardwebhooks` package's own verifier."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    secret: str = ""
    # Status codes to answer, in turn; 200 once they run out.
    script: list[int] = field(default_factory=list)
    headers_out: dict[str, str] = field(default_factory=dict)
    # An answer body instead of the default small JSON.
    body_out: bytes = b""
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, Any] = field(default_factory=dict)  # webhook-id -> body, dedup'd
    bad_signatures: int = 0
    # Requests whose sender went away before the whole body arrived (a sender
    # killed mid-write); a real server drops them unanswered, and so does this one.
    broken: int = 0
    port: int = 0
    # Seconds to wait before answering each request (a slow receiver).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            verified: Any = None
            try:
                verified = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                self.bad_signatures += 1
                status = 401
            self.requests.append(
                {"headers": headers, "body": body, "status": status, "json": verified}
            )
            if 200 <= status < 300:
                self.accepted.setdefault(headers["webhook-id"], verified)
            return status


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            with self.receiver.lock:
                self.receiver.broken += 1
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = self.receiver.handle(headers, body)
        payload = self.receiver.body_out or json.dumps({"status": status}).encode()
        self.send_response(status)
        for name, value in self.receiver.headers_out.items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    handler = type("Handler", (_Handler,), {"receiver": receiver})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
