from django.db import migrations
from django.utils import timezone


def create_default(apps, schema_editor):
    from leadloop.followup.defaults import (
        NO_SHOW_INVITE_WINDOW,
        NO_SHOW_NAME,
        NO_SHOW_RECYCLE_DAY,
        NO_SHOW_STEPS,
    )

    CadenceTemplate = apps.get_model("followup", "CadenceTemplate")
    CadenceStep = apps.get_model("followup", "CadenceStep")
    if CadenceTemplate.objects.filter(trigger="no_show", team__isnull=True).exists():
        return
    template = CadenceTemplate.objects.create(
        name=NO_SHOW_NAME,
        trigger="no_show",
        team=None,
        recycle_day=NO_SHOW_RECYCLE_DAY,
        invite_window_days=NO_SHOW_INVITE_WINDOW,
        updated_at=timezone.now(),
    )
    CadenceStep.objects.bulk_create(
        CadenceStep(template=template, position=i, day=day, action=action, text=text)
        for i, (day, action, text) in enumerate(NO_SHOW_STEPS)
    )


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
