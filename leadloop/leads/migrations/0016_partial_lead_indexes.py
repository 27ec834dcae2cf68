# The lead indexes of columns empty on most leads hold only the leads where they are set
# (see leads.models._SET_ONLY): fewer index entries for every lead written.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_token_expiry_and_read_only"),
        ("campaigns", "0003_sales_side_slas"),
        ("leads", "0015_score_lines"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_sales_rep_stage",
        ),
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_phone_key",
        ),
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_first_contact_due",
        ),
        migrations.AlterField(
            model_name="lead",
            name="duplicate_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="duplicates",
                to="leads.lead",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="handed_off_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="produced_leads",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="previous_lead",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="later_inquiries",
                to="leads.lead",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="reason_code",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leads.reasoncode",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("sales_rep__isnull", False)),
                fields=["sales_rep", "stage"],
                name="lead_sales_rep_stage",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("phone_key", ""), _negated=True),
                fields=["phone_key"],
                name="lead_phone_key",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("first_contact_at__isnull", True)),
                fields=["first_contact_due"],
                name="lead_first_contact_due",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("handed_off_by__isnull", False)),
                fields=["handed_off_by"],
                name="lead_handed_off_by_set",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("duplicate_of__isnull", False)),
                fields=["duplicate_of"],
                name="lead_duplicate_of_set",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("previous_lead__isnull", False)),
                fields=["previous_lead"],
                name="lead_previous_lead_set",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("reason_code__isnull", False)),
                fields=["reason_code"],
                name="lead_reason_code_set",
            ),
        ),
    ]
