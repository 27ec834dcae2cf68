"""Sending one webhook: resolve, check the address, POST to that very address.

A URL is checked when it is registered and again on every send, after DNS
resolution: the request goes to the resolved address that was checked (the
`Host` header and TLS name stay the URL's), so a name that resolves to a
public address at registration and to 127.0.0.1 later (DNS rebinding) is
refused. Redirects are not followed, and no more of a response is read than
the delivery log keeps.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from leadloop.webhooks.rules import RESPONSE_KEPT, TIMEOUT_SECONDS, address_refusal, url_refusal

# Loading the CA certificates takes tens of milliseconds: once per process, not per
# message (the context is only read after it is made).
_TLS = ssl.create_default_context()


class Refused(Exception):
    """The URL or the address it resolves to may not be called."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    latency_ms: int
    response: str = ""
    error: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def allow_private() -> bool:
    return bool(getattr(settings, "LEADLOOP_WEBHOOKS_ALLOW_PRIVATE", False))


def resolve(url: str) -> str:
    """The address to send to: the URL's host resolved, every address it has checked."""
    refusal = url_refusal(url)
    if refusal:
        raise Refused(refusal)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise Refused(f"{host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"{host} does not resolve")
    if not allow_private():
        for address in addresses:
            why = address_refusal(address)
            if why:
                raise Refused(f"{host} resolves to {address}: {why.split(' is ', 1)[1]}")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST the body; never raises for the receiver's faults, says them in the answer."""
    started = time.monotonic()
    try:
        address = resolve(url)
    except Refused as exc:
        return Answer(None, _ms(started), error=f"refused: {exc}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    netloc_host = f"[{address}]" if ":" in address else address
    netloc = f"{netloc_host}:{port}" if port else netloc_host
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    try:
        with (
            httpx.Client(
                timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=_TLS
            ) as client,
            client.stream(
                "POST",
                target,
                content=body,
                headers={**headers, "Host": host_header},
                extensions=extensions,
            ) as response,
        ):
            kept = b""
            for chunk in response.iter_bytes(chunk_size=RESPONSE_KEPT):
                kept += chunk
                if len(kept) >= RESPONSE_KEPT:
                    break
            return Answer(
                response.status_code,
                _ms(started),
                response=kept[:RESPONSE_KEPT].decode("utf-8", "replace"),
                retry_after=response.headers.get("retry-after"),
            )
    except httpx.TimeoutException:
        return Answer(None, _ms(started), error=f"no answer within {TIMEOUT_SECONDS:.0f} s")
    except (httpx.HTTPError, OSError) as exc:
        return Answer(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:300])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
