from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leadloop.leads.models import Lead, LeadEvent, ReasonCode


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "code", "out_of_target", "is_active", "position")
    list_filter = ("kind", "is_active", "out_of_target")
    list_editable = ("is_active", "position")


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "action", "from_stage", "to_stage", "actor", "reason_code", "data")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    """Leads are read here; their stage changes only through the lifecycle (web app or API)."""

    list_display = ("__str__", "campaign", "stage", "owner", "sales_rep", "score", "created_at")
    list_filter = ("stage", "campaign__channel", "team")
    search_fields = ("email", "last_name", "company")
    list_select_related = ("campaign", "owner", "sales_rep")
    raw_id_fields = ("owner", "sales_rep", "handed_off_by", "duplicate_of", "campaign")
    readonly_fields = (
        "stage",
        "version",
        "created_at",
        "updated_at",
        "stage_changed_at",
        "email_key",
        "phone_key",
        "person_key",
        "closed_at",
    )
    inlines = [LeadEventInline]
    show_full_result_count = False


@admin.register(LeadEvent)
class LeadEventAdmin(admin.ModelAdmin):
    """The append-only history: visible, never editable or deletable."""

    list_display = ("at", "lead", "kind", "action", "from_stage", "to_stage", "actor")
    list_filter = ("kind", "action")
    raw_id_fields = ("lead",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
