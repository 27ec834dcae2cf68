"""The monthly review pack: the command writes a PDF with the month's figures, the app
shows it as a page and serves the PDF, and only managers, marketing and admins get it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.reports import review
from leadloop.reports.pdf import latin1, render_pdf
from leadloop.reports.scope import NotAllowed, Viewer
from leadloop.reports.tests.dataset import REPORT_NOW, Data, build
from leadloop.testing import World, client_for

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = review.parse_month("2026-11")


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: REPORT_NOW)


@pytest.fixture
def data(world: World) -> Data:
    return build(world)


def pack(user: User | None = None, pair: str | None = None) -> review.Pack:
    viewer = Viewer(user=user, tz=BERLIN) if user else Viewer.everything(BERLIN)
    return review.build_pack(viewer, month=NOVEMBER, now=REPORT_NOW, pair=pair)


def test_pack_has_a_section_per_pair_with_the_months_figures(data: Data) -> None:
    built = pack()
    assert [s.pair.name for s in built.sections] == [
        "Alpha Teleprospecting / Alpha Sales",
        "Beta Teleprospecting / Beta Sales",
    ]
    alpha = {t.key: t for t in built.sections[0].tables}
    assert list(alpha) == [
        "inside_sla",
        "sales_sla",
        "accountability",
        "sales_outcomes",
        "reasons",
        "training_flags",
        "handoffs",
        "scoring",
    ]
    inside = {r["sla"].value: r for r in alpha["inside_sla"].rows}
    assert (inside["First contact"]["met"].value, inside["First contact"]["late"].value) == (5, 3)
    sales = {r["sla"].value: r for r in alpha["sales_sla"].rows}
    assert sales["Sales accepts or rejects"]["late"].value == 1
    assert alpha["accountability"].rows[0]["feedback_rate"].value == 1.0
    handed = alpha["handoffs"]
    assert [r["lead"].value for r in handed.rows] == [data[k].full_name for k in ("A5", "A1", "A6")]
    assert [r["stage"].value for r in handed.rows] == ["Rejected by sales", "Won", "Recycled"]
    assert handed.rows[0]["reason"].value == "Not qualified (criteria not met)"
    assert handed.rows[1]["revenue"].value == 12000
    assert handed.rows[1]["lead"].url == f"/leads/{data['A1'].pk}/"
    beta = {t.key: t for t in built.sections[1].tables}
    assert beta["handoffs"].rows == []
    assert beta["reasons"].rows[0]["reason"].value == "Out of target market"


def test_choosing_a_pair(data: Data) -> None:
    assert [s.pair.name for s in pack(pair="Beta Teleprospecting").sections] == [
        "Beta Teleprospecting / Beta Sales"
    ]
    assert len(pack(pair="alpha teleprospecting / alpha sales").sections) == 1
    with pytest.raises(review.PackError, match="no team pair 'Gamma'"):
        pack(pair="Gamma")
    with pytest.raises(review.PackError, match="not YYYY-MM"):
        review.parse_month("2026-13")


def test_who_gets_the_pack(data: Data) -> None:
    world = data.world
    assert [s.pair.name for s in pack(world.b.sales_manager).sections] == [
        "Beta Teleprospecting / Beta Sales"
    ]
    assert len(pack(world.marketing).sections) == 2
    with pytest.raises(NotAllowed):
        pack(world.a.inside)
    with pytest.raises(review.PackError):
        pack(world.b.tele_manager, pair="Alpha Teleprospecting")


def test_review_command_writes_the_pdf(
    data: Data, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, html = tmp_path / "pack.pdf", tmp_path / "pack.html"
    call_command(
        "review",
        "--month",
        "2026-11",
        "--output",
        str(out),
        "--html",
        str(html),
        "--now",
        REPORT_NOW.isoformat(),
        "--uncompressed",
    )
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF")
    err = capsys.readouterr().err
    assert "[1/2] Alpha Teleprospecting / Alpha Sales" in err
    assert "[2/2] Beta Teleprospecting / Beta Sales" in err
    # The core font writes the text as it is: the month's figures are in the file.
    for text in (
        "Monthly review November 2026: Alpha Teleprospecting / Alpha Sales",
        "SLA compliance: Alpha Teleprospecting",
        "Sales accountability: Alpha Sales",
        "Training flags",
        data["A1"].full_name,
        "Not qualified",  # (parentheses are escaped in PDF strings)
        "EUR 12,000",
        "62.5 %",  # Alpha's inside first contact: 5 of 8 met
        "3 leads",
    ):
        assert text.encode("latin-1") in raw, text
    page = html.read_text()
    assert "Alpha Teleprospecting / Alpha Sales" in page
    assert data["A5"].full_name in page


def test_review_command_one_pair_and_errors(data: Data, tmp_path: Path) -> None:
    out = tmp_path / "beta.pdf"
    call_command(
        "review",
        "--month",
        "2026-11",
        "--team-pair",
        "Beta Teleprospecting / Beta Sales",
        "--output",
        str(out),
        "--now",
        REPORT_NOW.isoformat(),
        "--uncompressed",
        "-v",
        "0",
    )
    raw = out.read_bytes()
    assert b"Beta Teleprospecting / Beta Sales" in raw
    assert b"Alpha Sales" not in raw
    compressed = tmp_path / "small.pdf"
    call_command("review", "--month", "2026-11", "--output", str(compressed), "-v", "0")
    assert compressed.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="no team pair"):
        call_command("review", "--month", "2026-11", "--team-pair", "Nope", "--output", str(out))
    with pytest.raises(CommandError, match="for managers"):
        call_command(
            "review",
            "--month",
            "2026-11",
            "--output",
            str(out),
            "--user",
            data.world.a.sales_rep.username,
        )


def test_review_page_and_pdf_download(data: Data) -> None:
    client = client_for(data.world.a.tele_manager)
    page = client.get(reverse("reports:review"), {"month": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Monthly review November 2026" in html
    assert "Alpha Teleprospecting / Alpha Sales" in html
    assert "Beta Teleprospecting" not in html.split("Team pair")[1].split("</select>")[1]
    assert data["A6"].full_name in html
    assert f"{reverse('reports:review_pdf')}?month=2026-11" in html
    pdf = client.get(reverse("reports:review_pdf"), {"month": "2026-11"})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("reports:review"), {"month": "nope"}).status_code == 400
    assert client.get(reverse("reports:review_pdf"), {"month": "nope"}).status_code == 400
    # Default: last month (October: nothing handed off yet, the page still renders).
    assert client.get(reverse("reports:review")).status_code == 200
    inside = client_for(data.world.a.inside)
    assert inside.get(reverse("reports:review")).status_code == 403
    assert inside.get(reverse("reports:review_pdf")).status_code == 403


def test_pdf_survives_names_outside_latin1(data: Data) -> None:
    lead = data["A1"]
    lead.first_name, lead.last_name = "Łucja", "Wójcik\u2013Ørsted 李"
    lead.save(update_fields=["first_name", "last_name"])
    raw = render_pdf(pack(pair="Alpha Teleprospecting"), compress=False)
    assert latin1("Łucja Wójcik\u2013Ørsted 李").encode("latin-1") in raw
    assert latin1("Łucja") == "Lucja"


def test_long_tables_print_one_line_a_row(data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadloop.reports import pdf

    monkeypatch.setattr(pdf, "LONG", 1)
    raw = render_pdf(pack(pair="Alpha Teleprospecting"), compress=False)
    assert raw.startswith(b"%PDF")
    for key in ("A1", "A5", "A6"):
        assert data[key].full_name.encode("latin-1") in raw
    assert b"Not qualified" in raw  # cut to its column, still readable


def test_each_section_has_the_report_charts_and_a_summary_of_the_month(data: Data) -> None:
    alpha = pack(pair="Alpha Teleprospecting").sections[0]
    titles = [chart.title for chart in alpha.charts]
    assert titles == [
        "Alpha Teleprospecting: share of clocks met, late and pending, by SLA",
        "Alpha Sales: share of clocks met, late and pending, by SLA",
        "Alpha Sales: feedback rate by sales rep",
    ]
    assert all(chart.value_axis for chart in alpha.charts)
    # November against October (nothing handed off in October in the data set).
    assert alpha.summary.startswith(
        "In November Alpha Teleprospecting handed 3 leads to Alpha Sales, 3 more than the 0 "
        "of October."
    )
    assert "Alpha Teleprospecting met" in alpha.summary and "October" in alpha.summary
    raw = render_pdf(pack(pair="Alpha Teleprospecting"), compress=False)
    for text in (alpha.summary[:60], "feedback rate by sales rep", "target 100 %"):
        assert latin1(text).encode("latin-1") in raw, text
    page = client_for(data.world.a.tele_manager).get(
        reverse("reports:review"), {"month": "2026-11"}
    )
    html = page.content.decode()
    assert alpha.summary in html and html.count('<svg class="chart"') >= 3
