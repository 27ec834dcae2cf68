from __future__ import annotations

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadloop.leads"
    label = "leads"
