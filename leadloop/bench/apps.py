from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "leadloop.bench"
    label = "bench"
    verbose_name = "Benchmarks"
