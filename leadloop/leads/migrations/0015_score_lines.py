"""The lines of a lead's score move to a table of their own, and the lead table keeps
free space on its pages, so that applying a model rewrites every open lead's score
as in-place (HOT) updates (see `leads.models.ScoreLines`)."""

import django.db.models.deletion
from django.db import migrations, models

# Half of each lead page left free: applying a model updates every open lead, and a
# page of open leads needs room for a new version of each of them. On existing
# databases only pages written from now on keep it; the first apply moves each
# open lead into such a page (`VACUUM FULL leads_lead` does it at once, with a lock).
FILLFACTOR = 50


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


def keep_free_space(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE leads_lead SET (fillfactor = {FILLFACTOR})")


def no_free_space(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE leads_lead RESET (fillfactor)")


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
        migrations.RunPython(keep_free_space, no_free_space),
    ]
