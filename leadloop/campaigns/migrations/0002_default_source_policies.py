from django.db import migrations


def create_default_policies(apps, schema_editor):
    from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS

    SourcePolicy = apps.get_model("campaigns", "SourcePolicy")
    # Only the fields this migration's model has; later ones get their defaults.
    known = {f.name for f in SourcePolicy._meta.get_fields()}
    for channel, values in SOURCE_POLICY_DEFAULTS.items():
        defaults = {k: v for k, v in values.items() if k in known}
        SourcePolicy.objects.get_or_create(channel=str(channel), campaign=None, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(create_default_policies, migrations.RunPython.noop)]
