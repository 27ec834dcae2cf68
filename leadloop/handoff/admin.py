from __future__ import annotations

from django.contrib import admin

from leadloop.handoff.models import Handoff, QualificationDefinition
from leadloop.lib.admin import ReadOnlyAdmin


@admin.register(QualificationDefinition)
class QualificationDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "is_active", "created_at")


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ("lead", "from_rep", "to_rep", "meeting_at", "warm_call_confirmed", "created_at")
    raw_id_fields = ("lead", "from_rep", "to_rep")
    readonly_fields = ("lead", "from_rep", "to_rep", "definition", "answers", "created_at")
