"""Who is on the other end: the client's address, the same for every limit.

The login lockout and the API's rate limits count per address. Behind a
reverse proxy every request comes from the proxy, so the client's address
is the one the outermost trusted proxy put into X-Forwarded-For; without a
proxy that header is the client's own invention and is ignored, or anyone
could dodge a limit by sending a new address each time.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address, trusting NUM_PROXIES proxies in front of the app."""
    proxies: int = getattr(settings, "NUM_PROXIES", 0)
    remote = str(request.META.get("REMOTE_ADDR") or "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    # Each proxy appends the address it saw: the n-th from the right was
    # written by the outermost of our n proxies.
    hops = [hop.strip() for hop in str(forwarded).split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))]
