from __future__ import annotations

from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "leadloop.cli"
    label = "cli"
    verbose_name = "Command line"
