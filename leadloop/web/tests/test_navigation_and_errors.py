"""The menu each role gets leads somewhere, and refusals are pages with a reason and a way back."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client, override_settings

from leadloop.demo.seed import demo_login_lines
from leadloop.testing import World, client_for

pytestmark = pytest.mark.django_db


def menu(client: Client) -> dict[str, str]:
    html = client.get("/").content.decode()
    nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return {
        re.sub(r"<[^>]+>", "", label).strip(): href
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav)
    }


def test_each_role_gets_the_menu_of_its_work(world: World) -> None:
    inside = menu(client_for(world.a.inside))
    assert {"Queue", "Handed off"} <= inside.keys()
    assert "Sales inbox" not in inside

    sales = menu(client_for(world.a.sales_rep))
    assert {"Sales inbox", "Tasks"} <= sales.keys()
    assert "Queue" not in sales and "Handed off" not in sales

    sales_manager = menu(client_for(world.a.sales_manager))
    assert "Queue" not in sales_manager and "Sales inbox" in sales_manager

    tele_manager = menu(client_for(world.a.tele_manager))
    assert "Queue" in tele_manager and "Sales inbox" not in tele_manager

    admin = menu(client_for(world.admin))
    assert "Handed off" not in admin and {"Queue", "Sales inbox"} <= admin.keys()


@pytest.mark.parametrize("who", ["inside", "sales_rep", "tele_manager", "sales_manager"])
def test_every_menu_link_of_a_role_opens(world: World, who: str) -> None:
    client = client_for(getattr(world.a, who))
    for label, href in menu(client).items():
        if href.startswith("/api/") or href.startswith("/admin/"):
            continue
        assert client.get(href).status_code == 200, (who, label, href)


def test_sales_manager_opening_the_queue_is_shown_where_the_work_is(world: World) -> None:
    page = client_for(world.a.sales_manager).get("/queue/").content.decode()
    assert "Queue of —" not in page
    assert "/follow-up/inbox/" in page


def test_a_refusal_is_a_page_with_its_reason_and_a_way_back(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(world.a.inside)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/reports/review/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "The review pack is for managers, marketing and admins." in page
    assert 'class="topbar"' in page and 'href="/"' in page
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert refusals and all(r.exc_info is None for r in refusals)
    assert refusals[0].reason == "The review pack is for managers, marketing and admins."  # type: ignore[attr-defined]


def test_not_found_page_has_the_layout_and_no_resolver_internals(world: World) -> None:
    response = client_for(world.a.inside).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Nothing here" in page and "Back to your home page" in page
    assert "Resolver404" not in page and "tried" not in page


@override_settings(DEBUG=False)
def test_server_error_page_needs_no_request_or_database() -> None:
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong" in page and 'href="/"' in page


def test_demo_prints_a_login_for_each_role_and_both_kinds_of_manager() -> None:
    lines = dict(demo_login_lines())
    assert lines["Teleprospecting manager"] == "katrin.vogel"
    assert lines["Sales manager"] == "stefan.richter"
    assert {"Admin", "Marketing", "Inside rep (teleprospector)", "Sales rep (outside)"} <= set(
        lines
    )
