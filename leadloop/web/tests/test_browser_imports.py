"""Headless Chromium: marketing imports a trade-show spreadsheet through the wizard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from playwright.sync_api import expect

from leadloop.imports.models import ImportState, LeadImport
from leadloop.leads.models import Lead
from leadloop.testing import World, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fair_workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("Notes")
    notes.write(0, 0, "Visitors of the spring fair")
    sheet = book.add_worksheet("Visitors")
    rows = [
        ["First Name", "Last Name", "Company", "Email", "Phone", "Country", "Interest"],
        ["Lena", "Vogel", "Vogel Logistik", "lena@vogel.example", "+49 40 1234567", "DE", "high"],
        ["Piet", "Jansen", "Jansen BV", "piet@jansen.example", "", "Netherlands", "low"],
        ["No", "Contact", "Nowhere", "", "", "DE", "low"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()


def test_marketing_imports_a_spreadsheet_through_the_wizard(
    world: World, browser_context: Any, tmp_path: Path
) -> None:
    workbook = tmp_path / "fair.xlsx"
    fair_workbook(workbook)
    page = log_in(browser_context, world.marketing.username)
    page.click("nav.mainnav >> text=Imports")
    page.wait_for_url("**/imports/")
    page.click("text=Import a file")
    page.wait_for_load_state("load")  # the drop zone's script is deferred
    page.set_input_files("input[type=file]", str(workbook))
    expect(page.locator("[data-dropzone-name]")).to_contain_text("fair.xlsx")
    page.fill("input[name=sheet]", "Visitors")
    page.click("button:has-text('Upload')")
    page.wait_for_selector("table.mapping")
    # The guess, shown with sample values.
    assert page.locator("select#col-3").input_value() == "email"
    assert "Vogel Logistik" in page.locator("table.mapping").inner_text()
    page.select_option("select[name=campaign]", label=world.a.campaign.name)
    page.click("button[value=check]")
    page.wait_for_selector("#check-result")
    counts = page.locator("#check-result").inner_text()
    assert "Rows with problems (1)" in counts
    assert not Lead.objects.filter(email="lena@vogel.example").exists()
    page.click("button[value=import]")
    page.wait_for_selector("text=See the imported leads")
    lead_import = LeadImport.objects.get()
    assert lead_import.state == ImportState.DONE
    assert (lead_import.created, lead_import.skipped) == (2, 1)
    page.click("text=See the imported leads")
    page.wait_for_selector("table.leads")
    listed = page.locator("table.leads").inner_text()
    assert "Lena Vogel" in listed and "Piet Jansen" in listed
    lena = Lead.objects.get(email="lena@vogel.example")
    assert lena.attributes == {"Interest": "high"} and lena.phone_key == "+49401234567"
