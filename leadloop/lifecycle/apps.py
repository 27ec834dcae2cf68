from __future__ import annotations

from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """The actions layer: no models of its own; an app so that its tasks are found."""

    name = "leadloop.lifecycle"
    label = "lifecycle"
