from __future__ import annotations

from django.contrib import admin

from leadloop.lib.admin import ReadOnlyAdmin
from leadloop.outreach.models import Activity


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "lead", "kind", "outcome", "actor")
    list_filter = ("kind", "outcome")
    raw_id_fields = ("lead", "actor")
    show_full_result_count = False
