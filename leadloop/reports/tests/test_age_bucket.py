"""The aging report's SQL age buckets agree with the lead list's age filter.

`metrics.AgeBucket` writes the per-team CASE as SQL text (its first WHEN
settles the leads older than every team's last cutoff at once);
`metrics.age_between` is the lead list's filter behind each aging number,
built from the same cutoffs as plain Q objects. On leads of teams in two
time zones, every day of age from 0 to 40 calendar days, both must put each
lead in the same bucket.
"""

from __future__ import annotations

from datetime import timedelta

from leadloop.accounts.models import Team
from leadloop.leads.models import Lead
from leadloop.reports import metrics
from leadloop.reports.tests.dataset import REPORT_NOW
from leadloop.testing import World, make_lead


def test_sql_buckets_match_the_lead_list_filter(world: World) -> None:
    Team.objects.filter(pk=world.b.tele.pk).update(timezone="America/New_York")
    ids = []
    for side in (world.a, world.b):
        for days in range(41):
            lead = make_lead(side)
            created = REPORT_NOW - timedelta(days=days, hours=1 + (days * 7) % 23)
            Lead.objects.filter(pk=lead.pk).update(created_at=created, team=side.tele)
            ids.append(lead.pk)
    # A lead of a team left out of the CASE (no such team: no calendar) has no bucket.
    stray = Lead.objects.filter(pk=ids[0])
    teams = list(Team.objects.all())
    leads = Lead.objects.filter(pk__in=ids)
    annotated = dict(
        leads.annotate(bucket=metrics.age_bucket(teams, REPORT_NOW)).values_list("pk", "bucket")
    )
    assert set(annotated.values()) == {label for label, _, _ in metrics.AGE_BUCKETS}
    for label, low, high in metrics.AGE_BUCKETS:
        listed = set(
            leads.filter(metrics.age_between(teams, REPORT_NOW, low or None, high)).values_list(
                "pk", flat=True
            )
        )
        assert listed == {pk for pk, b in annotated.items() if b == label}, label
    others = [t for t in teams if t.pk != world.a.tele.pk]
    assert stray.annotate(bucket=metrics.age_bucket(others, REPORT_NOW)).get().bucket == ""
