from __future__ import annotations

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "leadloop.outreach"
    label = "outreach"
