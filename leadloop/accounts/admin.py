from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from leadloop.accounts.models import ApiToken, Team, TerritoryRule, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "team", "is_active")
    list_filter = ("groups", "team", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("leadloop", {"fields": ("team", "timezone", "notify_mode")}),
    )


class TerritoryInline(admin.TabularInline):
    model = TerritoryRule
    extra = 0
    raw_id_fields = ("rep",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "manager", "timezone", "holiday_country")
    filter_horizontal = ("feeds",)
    inlines = [TerritoryInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")
