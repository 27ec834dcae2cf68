from __future__ import annotations

from django.contrib import admin

from leadloop.leads.models import Lead, LeadEvent, ReasonCode
from leadloop.lib.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "code", "out_of_target", "is_active", "position")
    list_filter = ("kind", "is_active", "out_of_target")
    list_editable = ("is_active", "position")


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ("at", "kind", "action", "from_stage", "to_stage", "actor", "reason_code", "data")
    readonly_fields = fields


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    """Leads are read here; they change only through the app's actions (web app, API, CLI)."""

    list_display = ("__str__", "campaign", "stage", "owner", "sales_rep", "score", "created_at")
    list_filter = ("stage", "campaign__channel", "team")
    search_fields = ("email", "last_name", "company")
    list_select_related = ("campaign", "owner", "sales_rep", "scored")
    inlines = [LeadEventInline]
    show_full_result_count = False


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    """The append-only history: visible, never editable or deletable."""

    list_display = ("at", "lead", "kind", "action", "from_stage", "to_stage", "actor")
    list_filter = ("kind", "action")
    raw_id_fields = ("lead",)
    show_full_result_count = False
