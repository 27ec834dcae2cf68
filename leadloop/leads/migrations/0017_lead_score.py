"""A lead's score columns move off the lead row, beside its lines, into one table
(see `leads.models.LeadScore` why): a rescoring then writes no lead row."""

from django.db import migrations, models

_COLUMNS = "score, score_probability, tier, scored_at, score_model"


def copy_scores(apps, schema_editor):
    """Every lead that has a score, a model's or a given one, in one upsert."""
    schema_editor.execute(
        f"INSERT INTO leads_leadscore (lead_id, lines, {_COLUMNS}) "  # noqa: S608
        f"SELECT id, '[]', {_COLUMNS} FROM leads_lead "
        "WHERE score_model IS NOT NULL OR score <> 0 "
        "ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score, "
        "score_probability = excluded.score_probability, tier = excluded.tier, "
        "scored_at = excluded.scored_at, score_model = excluded.score_model"
    )


def copy_back(apps, schema_editor):
    for column in _COLUMNS.split(", "):
        schema_editor.execute(
            f"UPDATE leads_lead SET {column} = (SELECT s.{column} FROM leads_leadscore s "  # noqa: S608
            "WHERE s.lead_id = leads_lead.id) "
            "WHERE id IN (SELECT lead_id FROM leads_leadscore)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0016_partial_lead_indexes"),
    ]

    operations = [
        migrations.RenameModel(old_name="ScoreLines", new_name="LeadScore"),
        migrations.AlterField(
            model_name="leadscore",
            name="lead",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                primary_key=True,
                related_name="scored",
                serialize=False,
                to="leads.lead",
            ),
        ),
        migrations.AddField(
            model_name="leadscore", name="score", field=models.IntegerField(default=0)
        ),
        migrations.AddField(
            model_name="leadscore",
            name="score_probability",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="leadscore",
            name="tier",
            field=models.CharField(blank=True, default="", max_length=1),
        ),
        migrations.AddField(
            model_name="leadscore",
            name="scored_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="leadscore",
            name="score_model",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(copy_scores, copy_back),
        migrations.RemoveField(model_name="lead", name="score"),
        migrations.RemoveField(model_name="lead", name="score_probability"),
        migrations.RemoveField(model_name="lead", name="tier"),
        migrations.RemoveField(model_name="lead", name="scored_at"),
        migrations.RemoveField(model_name="lead", name="score_model"),
    ]
