from __future__ import annotations

from django.apps import AppConfig


class WebformsConfig(AppConfig):
    name = "leadloop.webforms"
    label = "webforms"
    verbose_name = "Web forms"
