"""Closed leads for the scoring tests: the synthetic drifting history written as leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.scoring.synthetic import drifting_history
from leadloop.testing import NOW, Side

COUNTRIES = ["DE", "FR", "GB", "US", "NL", "AT", "CH", "IT", "ES", "PL"] * 4


def write_history(side: Side, n: int = 400, seed: int = 0, **extra_attributes: object) -> int:
    """`n` closed leads (won or lost) created over the two years before NOW; returns wins.

    The synthetic rows' campaign goes in a custom attribute (the side has one
    campaign); its outcome decides won or lost.
    """
    history = drifting_history(n, seed)
    end = max(history.times)
    leads = []
    for i, (row, outcome, t) in enumerate(
        zip(history.rows, history.outcomes, history.times, strict=True)
    ):
        created = NOW - timedelta(days=1) - timedelta(seconds=float(end - t))
        attributes: dict[str, object] = {"source": row["campaign"]}
        if row["attributes.budget_known"] is not None:
            attributes["budget_known"] = row["attributes.budget_known"] == "yes"
        for name, value in extra_attributes.items():
            attributes[name] = value(outcome) if callable(value) else value
        leads.append(
            Lead(
                first_name=f"H{i}",
                last_name="History",
                email=f"h{i}@history{i}.example",
                industry=row["industry"] or "",
                employees=int(row["employees"]) if row["employees"] is not None else None,
                revenue_band=row["revenue_band"] or "",
                country=COUNTRIES[int(str(row["country"])[1:]) % len(COUNTRIES)],
                title=str(row["title"]),
                attributes=attributes,
                campaign=side.campaign,
                team=side.tele,
                stage=Stage.WON if outcome else Stage.LOST,
                created_at=created,
                updated_at=created,
                stage_changed_at=created,
                closed_at=created,
            )
        )
    Lead.objects.bulk_create(leads, batch_size=500)
    return int(history.outcomes.sum())


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
