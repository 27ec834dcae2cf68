from __future__ import annotations

from django.contrib import admin

from leadloop.campaigns.models import Campaign, SourcePolicy


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "team", "cost", "starts_on", "ends_on", "is_active")
    list_filter = ("channel", "team", "is_active")
    readonly_fields = ("form_key",)


@admin.register(SourcePolicy)
class SourcePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "channel",
        "campaign",
        "priority",
        "first_contact_amount",
        "first_contact_unit",
        "max_open_days",
        "max_dials",
        "max_emails",
    )
    list_filter = ("channel",)
