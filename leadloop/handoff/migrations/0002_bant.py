from django.db import migrations
from django.utils import timezone


def create_bant(apps, schema_editor):
    from leadloop.handoff.defaults import BANT_CRITERIA

    Definition = apps.get_model("handoff", "QualificationDefinition")
    if not Definition.objects.exists():
        Definition.objects.create(
            version=1, name="BANT", criteria=BANT_CRITERIA, is_active=True,
            created_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("handoff", "0001_initial")]
    operations = [migrations.RunPython(create_bant, migrations.RunPython.noop)]
