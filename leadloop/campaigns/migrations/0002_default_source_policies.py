from django.db import migrations


def create_default_policies(apps, schema_editor):
    from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS

    SourcePolicy = apps.get_model("campaigns", "SourcePolicy")
    for channel, values in SOURCE_POLICY_DEFAULTS.items():
        SourcePolicy.objects.get_or_create(channel=str(channel), campaign=None, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(create_default_policies, migrations.RunPython.noop)]
