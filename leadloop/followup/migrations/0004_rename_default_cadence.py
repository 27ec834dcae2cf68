from django.db import migrations


def rename(apps, schema_editor):
    from leadloop.followup.defaults import NO_SHOW_NAME, NO_SHOW_OLD_NAME

    CadenceTemplate = apps.get_model("followup", "CadenceTemplate")
    CadenceTemplate.objects.filter(name=NO_SHOW_OLD_NAME).update(name=NO_SHOW_NAME)


class Migration(migrations.Migration):
    """The default cadence's name without the design note ("(seed 004)") people saw."""

    dependencies = [("followup", "0003_prospect_mail_outbox")]
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
