from __future__ import annotations

from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "leadloop.followup"
    label = "followup"
    verbose_name = "Sales follow-up"
