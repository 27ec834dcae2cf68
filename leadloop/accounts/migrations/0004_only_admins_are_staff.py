"""Only admins are staff: managers set up their teams in the app's pages.

Before, managers were staff and could reach the Django admin, where one
could make herself manager of another team. Role groups lose the lead-data
write permissions: leads change only through the app's actions.
"""

import importlib

from django.db import migrations


def only_admins_are_staff(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_superuser=False).exclude(groups__name="admin").update(is_staff=False)


def resync_role_permissions(apps, schema_editor):
    roles = importlib.import_module("leadloop.accounts.migrations.0002_role_groups")
    roles.create_role_groups(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_weight_handoffs_by_feedback"),
        ("followup", "0003_prospect_mail_outbox"),
        ("leads", "0009_unreachable_reasons_and_rounds"),
    ]
    operations = [
        migrations.RunPython(only_admins_are_staff, migrations.RunPython.noop),
        migrations.RunPython(resync_role_permissions, migrations.RunPython.noop),
    ]
