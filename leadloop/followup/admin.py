from __future__ import annotations

from django.contrib import admin

from leadloop.followup.models import CadenceRun, CadenceStep, CadenceTemplate


class StepInline(admin.TabularInline):
    model = CadenceStep
    extra = 0


@admin.register(CadenceTemplate)
class CadenceTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger", "team", "recycle_day", "version", "updated_at")
    inlines = [StepInline]


@admin.register(CadenceRun)
class CadenceRunAdmin(admin.ModelAdmin):
    list_display = ("lead", "trigger", "state", "sales_rep", "inside_rep", "recycle_at")
    list_filter = ("state", "trigger")
    raw_id_fields = ("lead", "sales_rep", "inside_rep", "template")
