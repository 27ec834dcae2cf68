from __future__ import annotations

from django.contrib import admin

from leadloop.followup.models import CadenceRun, CadenceStep, CadenceTask, CadenceTemplate
from leadloop.lib.admin import ReadOnlyAdmin


class StepInline(admin.TabularInline):
    model = CadenceStep
    extra = 0


@admin.register(CadenceTemplate)
class CadenceTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger", "team", "recycle_day", "version", "updated_at")
    inlines = [StepInline]


@admin.register(CadenceRun)
class CadenceRunAdmin(ReadOnlyAdmin):
    list_display = ("lead", "trigger", "state", "sales_rep", "inside_rep", "recycle_at")
    list_filter = ("state", "trigger")
    raw_id_fields = ("lead", "sales_rep", "inside_rep", "template")


@admin.register(CadenceTask)
class CadenceTaskAdmin(ReadOnlyAdmin):
    list_display = ("lead", "day", "action", "status", "assignee", "due_at", "mail_state")
    list_filter = ("status", "action", "mail_state")
    raw_id_fields = ("lead", "run", "assignee")
    show_full_result_count = False
