from __future__ import annotations

from django.contrib import admin

from leadloop.lib.admin import ReadOnlyAdmin
from leadloop.sla.models import SlaClock


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = ("lead", "kind", "user", "started_at", "due_at", "result", "stopped_at")
    list_filter = ("kind", "result")
    raw_id_fields = ("lead", "user")
    show_full_result_count = False
