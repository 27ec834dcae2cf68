"""`leadloop check`: the API's rate limits must be readable before the first request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from leadloop.api.throttling import parse_rate

RATE_SETTINGS = ("API_RATE_PER_TOKEN", "API_RATE_PER_ADDRESS", "API_RATE_BAD_TOKENS")


def check_rates(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A rate that cannot be read would fail every API request; say so at start-up instead."""
    problems: list[checks.CheckMessage] = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name, None))
        except ImproperlyConfigured as exc:
            problems.append(checks.Error(f"{name}: {exc}", id="leadloop.E002"))
    return problems
