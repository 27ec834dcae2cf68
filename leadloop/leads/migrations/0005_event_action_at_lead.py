# The reports' "ever accepted / opportunity / won" checks read (action, at, lead)
# from the index alone (an index-only scan) instead of fetching scattered event rows.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("leads", "0004_claims_and_qualification"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="leadevent", name="event_action_at"),
        migrations.AddIndex(
            model_name="leadevent",
            index=models.Index(fields=["action", "at", "lead"], name="event_action_at"),
        ),
    ]
