from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadloop.api"
    label = "api"

    def ready(self) -> None:
        from django.core import checks

        from leadloop.api.checks import check_rates

        checks.register(check_rates)
