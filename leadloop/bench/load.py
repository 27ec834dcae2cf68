"""A small concurrent HTTP/1.1 client for the bench: N requests, C at a time, to this machine.

Written on asyncio streams rather than httpx: on this project's 2-core
machine httpx spent 3-8 ms of client time per request, several times what
the bare endpoint costs the server, so every ratio came out near 1. This
client costs a fraction of a millisecond. It records each request's latency
and its own CPU time: when the client fills a core, the server's figures
are a floor, and the report says so instead of blaming the server.

One connection per request, closed after the response, as gunicorn's sync
workers do anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from leadloop.bench.measures import latency_summary

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT = 30.0


@dataclass
class Phase:
    """One endpoint under load: what to send and which status is a success."""

    name: str
    method: str
    url: str
    expect: int = 200
    body: Callable[[], bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Headers that change from request to request (an Idempotency-Key).
    headers_each: Callable[[], dict[str, str]] | None = None


@dataclass
class PhaseResult:
    name: str
    requests: int
    ok: int
    errors: int
    seconds: float
    statuses: dict[str, int]
    latencies: list[float]
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "statuses": self.statuses,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            **latency_summary(self.latencies),
            # Near 1.0 means the client filled a core: the server may be faster.
            "client_cpu_share": round(self.client_cpu_s / self.seconds, 2) if self.seconds else 0,
        }


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"the bench only loads servers on this machine, not {parts.hostname!r}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, parts.port or 80, target


def _request_bytes(phase: Phase, host: str, target: str, body: bytes | None) -> bytes:
    lines = [f"{phase.method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    headers = phase.headers | (phase.headers_each() if phase.headers_each else {})
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _exchange(host: str, port: int, request: bytes) -> int:
    """Send one request on a new connection; the response's status once it is all read."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            await reader.read()
        else:
            await reader.readexactly(length)
        return int(head.split(b" ", 2)[1])
    finally:
        writer.close()


async def _run(phase: Phase, *, requests: int, concurrency: int, max_seconds: float) -> PhaseResult:
    host, port, target = _target(phase.url)
    varies = phase.body is not None or phase.headers_each is not None
    fixed = None if varies else _request_bytes(phase, host, target, None)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    issued = 0

    async def one_client() -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            issued += 1
            request = fixed or _request_bytes(
                phase, host, target, phase.body() if phase.body else None
            )
            began = time.perf_counter()
            try:
                status = await asyncio.wait_for(_exchange(host, port, request), REQUEST_TIMEOUT)
            except (
                OSError,
                TimeoutError,
                ValueError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
            ) as exc:
                statuses[type(exc).__name__] += 1
                continue
            took = time.perf_counter() - began
            statuses[str(status)] += 1
            if status == phase.expect:
                latencies.append(took)

    cpu0, start = time.process_time(), time.perf_counter()
    deadline = start + max_seconds
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    total = sum(statuses.values())
    return PhaseResult(
        name=phase.name,
        requests=total,
        ok=len(latencies),
        errors=total - len(latencies),
        seconds=seconds,
        statuses=dict(statuses),
        latencies=latencies,
        client_cpu_s=cpu,
    )


def run_phase(
    phase: Phase, *, requests: int, concurrency: int, max_seconds: float = 300.0
) -> PhaseResult:
    """Send `requests` requests (fewer if `max_seconds` runs out), `concurrency` at a time."""
    return asyncio.run(
        _run(phase, requests=requests, concurrency=concurrency, max_seconds=max_seconds)
    )


def merge_results(results: list[PhaseResult]) -> PhaseResult:
    """Rounds of one phase as one: requests, time and latencies added up."""
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r.statuses)
    return PhaseResult(
        name=results[0].name,
        requests=sum(r.requests for r in results),
        ok=sum(r.ok for r in results),
        errors=sum(r.errors for r in results),
        seconds=sum(r.seconds for r in results),
        statuses=dict(statuses),
        latencies=[x for r in results for x in r.latencies],
        client_cpu_s=sum(r.client_cpu_s for r in results),
    )
