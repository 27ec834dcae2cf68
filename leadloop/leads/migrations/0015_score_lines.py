"""The lines of a lead's score move to a table of their own, as JSON text
(see `leads.models.ScoreLines` why)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_lines(apps, schema_editor):
    """Every lead's non-empty breakdown, as JSON text, in one INSERT ... SELECT."""
    lines = "score_breakdown"
    if schema_editor.connection.vendor == "postgresql":
        lines = "CAST(score_breakdown AS text)"
    schema_editor.execute(
        "INSERT INTO leads_scorelines (lead_id, lines) "  # noqa: S608
        f"SELECT id, {lines} FROM leads_lead WHERE {lines} <> '[]'"
    )


def copy_back(apps, schema_editor):
    lines = "s.lines"
    if schema_editor.connection.vendor == "postgresql":
        lines = "CAST(s.lines AS jsonb)"
    schema_editor.execute(
        f"UPDATE leads_lead SET score_breakdown = (SELECT {lines} FROM leads_scorelines s "  # noqa: S608
        "WHERE s.lead_id = leads_lead.id) "
        "WHERE id IN (SELECT lead_id FROM leads_scorelines)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0014_report_covering_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScoreLines",
            fields=[
                (
                    "lead",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="score_lines",
                        db_constraint=False,
                        serialize=False,
                        to="leads.lead",
                    ),
                ),
                ("lines", models.TextField(default="[]")),
            ],
        ),
        migrations.RunPython(copy_lines, copy_back),
        migrations.RemoveField(
            model_name="lead",
            name="score_breakdown",
        ),
    ]
