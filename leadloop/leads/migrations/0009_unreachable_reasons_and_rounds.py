"""Reason codes for marking a lead unreachable early; attempt rounds for existing leads.

The counters were reset at each recycle until now, so what they hold is
already this round's count: the round starts from them.
"""

import importlib

from django.db import migrations
from django.db.models import F


def create_unreachable_reasons(apps, schema_editor):
    # The same idempotent function as the first reason codes: it adds the new ones.
    defaults = importlib.import_module("leadloop.leads.migrations.0002_default_reason_codes")
    defaults.create_reason_codes(apps, schema_editor)


def start_rounds(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Lead.objects.update(
        round_dials=F("dials"), round_emails=F("emails"), round_connects=F("connects")
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_returning_prospects_and_attempt_rounds")]
    operations = [
        migrations.RunPython(create_unreachable_reasons, migrations.RunPython.noop),
        migrations.RunPython(start_rounds, migrations.RunPython.noop),
    ]
