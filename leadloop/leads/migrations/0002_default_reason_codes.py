from django.db import migrations


def create_reason_codes(apps, schema_editor):
    from leadloop.leads.defaults import DEFAULT_REASON_CODES

    ReasonCode = apps.get_model("leads", "ReasonCode")
    for position, (kind, code, label, out_of_target) in enumerate(DEFAULT_REASON_CODES):
        ReasonCode.objects.get_or_create(
            kind=kind, code=code,
            defaults={"label": label, "out_of_target": out_of_target, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(create_reason_codes, migrations.RunPython.noop)]
