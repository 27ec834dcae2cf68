"""The Content-Security-Policy header, built once for the responses that all carry the same one.

django-csp builds the header from the settings for every response: its
policy parts copied (`dataclasses.asdict`) and every directive sorted and
joined, twice (the policy and the report-only one). Most responses, every
API answer among them, use neither a nonce nor a per-view change of the
policy, so their header is a constant of the settings. Measured in-process
on PostgreSQL (the bare POST through the whole middleware stack, 10
alternating rounds of 200): django-csp's middleware took 82 us of a 307 us
request; with the header kept, a few.

A response that changes its policy (the hosted web form's `_csp_replace`),
is exempt, or whose page asked for a nonce goes through django-csp as
before, as does every response while DEBUG (django-csp skips its debug
pages) or EXCLUDE_URL_PREFIXES is set. The kept headers are dropped when a
setting they come from changes (tests override them).
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# Response attributes by which a view changes or drops its policy (django-csp's decorators).
_PER_RESPONSE = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_config_ro",
    "_csp_update",
    "_csp_update_ro",
    "_csp_replace",
    "_csp_replace_ro",
)
_SETTINGS = frozenset({"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG"})
_kept: dict[str, str] | None = None


def _constant_headers() -> dict[str, str] | None:
    """The headers every plain response gets; None when django-csp must look at each one."""
    global _kept  # a cache of the settings, dropped when they change
    if _kept is None:
        policies = {
            HEADER: getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
            HEADER_REPORT_ONLY: getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or {},
        }
        if settings.DEBUG or any(p.get("EXCLUDE_URL_PREFIXES") for p in policies.values()):
            return None
        built = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}
        _kept = {name: value for name, value in built.items() if value}
    return _kept


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    global _kept  # a cache of the settings, dropped when they change
    if setting in _SETTINGS:
        _kept = None


class KeptPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the plain responses' header built once (see the module)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        headers = _constant_headers()
        if (
            headers is None
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        for name, value in headers.items():
            if name not in response:
                response[name] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
