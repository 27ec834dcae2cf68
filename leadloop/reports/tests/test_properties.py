"""Property tests: on random histories, the parts of every report add up to its totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.leads.models import Lead
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.transitions import lead_transition
from leadloop.reports import registry
from leadloop.reports.result import Report, Table
from leadloop.reports.scope import Viewer
from leadloop.reports.tests.dataset import NOVEMBER, lead_of
from leadloop.testing import BANT, NOW, World

REPORT_NOW = NOW + timedelta(days=13)
BERLIN = ZoneInfo("Europe/Berlin")
PATHS = (
    "untouched",
    "unreachable",
    "disqualified",
    "disqualified_unworked",
    "waiting",
    "rejected",
    "won",
    "lost",
    "opportunity",
    "nurture",
    "no_show_recycled",
    "sales_disqualified",
    "duplicate",
)
DQ = ("no_budget", "no_need", "timing", "out_of_target")

lead_plans = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.sampled_from(["a_inside", "a_inside2", "b_inside"]),
        st.integers(min_value=0, max_value=6),  # day it comes in
        st.integers(min_value=1, max_value=30),  # hours between steps
        st.sampled_from(DQ),
        st.sampled_from(["Software", "Retail", ""]),
        st.one_of(st.none(), st.integers(min_value=1, max_value=3000)),
    ),
    min_size=1,
    max_size=5,
)


def _play(world: World, plan: tuple[Any, ...], earlier: list[Lead]) -> None:
    path, who, day, gap, reason, industry, employees = plan
    side = world.b if who == "b_inside" else world.a
    owner = {"a_inside": world.a.inside, "a_inside2": world.a.inside2, "b_inside": world.b.inside}[
        who
    ]
    start = NOW + timedelta(days=day)
    lead = lead_of(side, owner, now=start, industry=industry, employees=employees)
    clock = [start]

    def tick() -> datetime:
        clock[0] += timedelta(hours=gap)
        return clock[0]

    def move(action: str, actor: Any, **data: Any) -> None:
        lead_transition(lead=lead, action=action, actor=actor, now=tick(), data=data)

    if path == "untouched":
        return
    if path == "duplicate":
        if earlier:
            move("mark_duplicate", owner, duplicate_of=earlier[0].pk)
        return
    if path == "disqualified_unworked":
        move("disqualify", owner, reason_code=reason)
        return
    if path == "unreachable":
        for _ in range(5):
            log_activity(lead=lead, actor=owner, kind="call", outcome="no_answer", now=tick())
        for _ in range(3):
            log_activity(lead=lead, actor=owner, kind="email", outcome="sent", now=tick())
        return
    log_activity(lead=lead, actor=owner, kind="call", outcome="connected", now=tick())
    if path == "disqualified":
        move("disqualify", owner, reason_code=reason)
        return
    sales = world.b.sales_rep if side is world.b else world.a.sales_rep
    # The meeting is an hour after the handoff; its outcome comes later.
    meeting = clock[0] + timedelta(hours=gap, minutes=30)
    lead_transition(
        lead=lead,
        action="hand_off",
        actor=owner,
        now=tick(),
        data={
            "sales_rep": sales.pk,
            "meeting_at": meeting,
            "answers": BANT,
            "write_up": "Ready.",
            "warm_call_confirmed": True,
        },
    )
    if path == "waiting":
        return
    if path == "rejected":
        move("reject", sales, reason_code="not_qualified")
        return
    move("accept", sales)
    clock[0] = max(clock[0], meeting)
    if path == "no_show_recycled":
        move("no_show", sales)
        move("recycle", sales)
        return
    move("meeting_held", sales)
    if path == "sales_disqualified":
        move("disqualify", sales, reason_code=reason)
    elif path == "lost":
        move("lose", sales, reason_code="price")
    elif path == "nurture":
        move("nurture", sales, next_touch_on=(clock[0] + timedelta(days=30)).date())
    elif path in ("opportunity", "won"):
        move("open_opportunity", sales, amount="5000")
        if path == "won":
            move("win", sales, revenue="7000")


NUMERIC = ("int", "money")
# Tables whose rows are not parts of the total: the funnel's steps nest, the
# unreachable rows repeat the leads once per attribute.
NOT_ADDITIVE = {("funnel", "steps"), ("unreachable", "by_value")}
# Money per something: not a sum.
RATIOS = {"cost_per_qualified"}


def _sum(table: Table, key: str) -> Decimal:
    return sum((Decimal(str(r[key].value or 0)) for r in table.rows), Decimal(0))


def assert_parts_add_up(report: Report) -> None:
    for table in report.tables:
        if table.total is None or (report.name, table.key) in NOT_ADDITIVE:
            continue
        for column in table.columns:
            if column.kind not in NUMERIC or column.key not in table.total:
                continue
            if column.key in RATIOS:
                continue
            total = table.total[column.key].value
            if total is None:
                continue
            assert _sum(table, column.key) == Decimal(str(total)), (
                report.name,
                table.key,
                column.key,
            )


def _value(row: dict[str, Any], key: str) -> Any:
    return row[key].value


def check_identities(reports: dict[str, Report]) -> None:
    for table in reports["sla"].tables:
        for row in [*table.rows, table.total]:
            assert row is not None
            parts = _value(row, "met") + _value(row, "late") + _value(row, "pending")
            assert _value(row, "clocks") == parts
    for row in reports["aging"].table("by_stage").rows:
        assert _value(row, "total") == sum(v.value for k, v in row.items() if k.startswith("b"))
    sales = reports["sales-accountability"]
    for row in [*sales.table("by_rep").rows, sales.table("by_rep").total]:
        assert row is not None
        assert _value(row, "received") == (
            _value(row, "accepted") + _value(row, "rejected") + _value(row, "waiting")
        )
    for name in ("sales-accountability", "teleprospectors"):
        outcomes = reports[name].table("outcomes")
        for row in outcomes.rows:
            stages = sum(
                v.value for k, v in row.items() if k not in ("rep", "leads", "pipeline", "revenue")
            )
            assert _value(row, "leads") == stages
    campaigns = reports["campaigns"]
    assert campaigns.table("by_campaign").total is not None
    for table in campaigns.tables:
        for row in [*table.rows, table.total]:
            assert row is not None
            assert _value(row, "reached") + _value(row, "unreachable") <= _value(row, "leads")
            assert _value(row, "accepted") <= _value(row, "qualified") <= _value(row, "leads")
            assert _value(row, "won") <= _value(row, "opportunities") <= _value(row, "accepted")
    total_leads = campaigns.table("by_campaign").total["leads"].value  # type: ignore[index]
    assert reports["teleprospectors"].table("by_rep").total["leads"].value == total_leads  # type: ignore[index]
    funnel = reports["funnel"]
    steps = [r["leads"].value for r in funnel.table("steps").rows]
    assert steps == sorted(steps, reverse=True)
    assert steps[0] == total_leads
    by_step: dict[str, int] = {}
    for row in funnel.table("by_group").rows:
        by_step[row["step"].value] = by_step.get(row["step"].value, 0) + row["leads"].value  # type: ignore[index]
    assert [by_step[r["step"].value] for r in funnel.table("steps").rows] == steps  # type: ignore[index]
    unreachable = reports["unreachable"].table("by_value")
    assert unreachable.total is not None
    settled = unreachable.total["settled"].value
    per_attribute: dict[str, int] = {}
    for row in unreachable.rows:
        assert _value(row, "settled") == _value(row, "reached") + _value(row, "not_reached")
        per_attribute[row["attribute"].value] = (
            per_attribute.get(row["attribute"].value, 0) + row["settled"].value
        )  # type: ignore[index]
    assert all(n == settled for n in per_attribute.values())
    reasons = reports["reasons"]
    for item in reasons.table("by_rep").rows:
        assert _value(item, "k_rep") <= _value(item, "k_team")
        assert _value(item, "n_rep") <= _value(item, "n_team")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans=lead_plans)
def test_parts_add_up_to_totals(world: World, plans: list[tuple[Any, ...]]) -> None:
    with transaction.atomic():
        earlier: list[Lead] = []
        for plan in plans:
            _play(world, plan, earlier)
            earlier = list(Lead.objects.order_by("pk")[:1])
        viewer = Viewer.everything(BERLIN)
        reports = {
            name: registry.run(name, viewer, NOVEMBER, now=REPORT_NOW) for name in registry.REPORTS
        }
        for report in reports.values():
            assert_parts_add_up(report)
        check_identities(reports)
        transaction.set_rollback(True)
