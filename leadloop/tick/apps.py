from __future__ import annotations

from django.apps import AppConfig


class TickConfig(AppConfig):
    name = "leadloop.tick"
    label = "tick"
