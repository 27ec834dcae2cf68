"""The inbox, the header badge and "My settings": who sees what, htmx, CSRF, queries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadloop.accounts.choices import NotifyMode, Role
from leadloop.accounts.models import User
from leadloop.accounts.services import create_user
from leadloop.leads.models import Lead
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.services import notify
from leadloop.testing import NOW, PASSWORD, World, client_for

INBOX = "/notifications/"
COUNT = "/notifications/count"
READ_ALL = "/notifications/read-all"
ME = "/me/"


def note(user: User, lead: Lead, summary: str, *, minutes: int = 0) -> Notification:
    """A "news on a lead" notification for `user`, `minutes` after NOW."""
    [n] = notify(
        users=[user],
        kind=NotificationKind.LEAD_EVENT,
        now=NOW + timedelta(minutes=minutes),
        lead_id=lead.pk,
        data={"summary": summary, "actor": "Someone"},
    )
    return n


def read_url(n: Notification) -> str:
    return f"/notifications/{n.pk}/read"


@pytest.fixture
def inbox(world: World, leads: dict[str, Lead]) -> dict[str, Notification]:
    """Alpha's inside rep: an old unread, a newer read, a newest unread; Beta's: one."""
    old = note(world.a.inside, leads["alpha"], "Old unread news", minutes=1)
    read = note(world.a.inside, leads["alpha"], "Already read news", minutes=2)
    new = note(world.a.inside, leads["alpha"], "Fresh unread news", minutes=3)
    Notification.objects.filter(pk=read.pk).update(read_at=NOW + timedelta(minutes=5))
    beta = note(world.b.inside, leads["beta"], "Beta secret news", minutes=4)
    return {"old": old, "read": read, "new": new, "beta": beta}


# ---------------------------------------------------------------- login


def test_pages_need_login(world: World, inbox: dict[str, Notification]) -> None:
    client = Client()
    for url in (INBOX, ME):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
    response = client.post(read_url(inbox["new"]))
    assert response.status_code == 302
    assert Notification.objects.get(pk=inbox["new"].pk).read_at is None
    # The badge is polled: a logged-out poll answers 204, which htmx does not swap in.
    assert client.get(COUNT).status_code == 204


# ---------------------------------------------------------------- the inbox


def test_inbox_shows_only_her_own_unread_first(
    world: World, inbox: dict[str, Notification]
) -> None:
    html = client_for(world.a.inside).get(INBOX).content.decode()
    assert "Beta secret news" not in html
    fresh = html.index("Fresh unread news")
    old = html.index("Old unread news")
    read = html.index("Already read news")
    assert fresh < old < read  # unread first (newest first), then the read one
    beta = client_for(world.b.inside).get(INBOX).content.decode()
    assert "Beta secret news" in beta
    for other in ("Fresh unread news", "Old unread news", "Already read news"):
        assert other not in beta


def test_each_notification_links_to_its_lead(
    world: World, leads: dict[str, Lead], inbox: dict[str, Notification]
) -> None:
    html = client_for(world.a.inside).get(INBOX).content.decode()
    lead_url = reverse("web:lead_detail", args=[leads["alpha"].pk])
    assert f'href="{lead_url}"' in html
    assert f"{leads['alpha']}: Fresh unread news" in html  # texts.render's title
    assert "by Someone" in html  # and its body
    # Unread rows carry a "Mark read" form posting with CSRF; the read one does not.
    assert f'action="{read_url(inbox["new"])}"' in html
    assert f'action="{read_url(inbox["read"])}"' not in html
    assert html.count("csrfmiddlewaretoken") >= 3


def test_times_are_in_the_viewers_zone(world: World, inbox: dict[str, Notification]) -> None:
    User.objects.filter(pk=world.a.inside.pk).update(timezone="America/New_York")
    html = client_for(world.a.inside).get(INBOX).content.decode()
    # NOW + 3 minutes is 09:03 UTC, 04:03 in New York.
    assert "Tue 17 Nov 2026, 04:03" in html
    assert "Times are in America/New_York" in html


def test_unread_filter_shows_only_unread(world: World, inbox: dict[str, Notification]) -> None:
    client = client_for(world.a.inside)
    html = client.get(INBOX, {"show": "unread"}).content.decode()
    assert "Fresh unread news" in html
    assert "Old unread news" in html
    assert "Already read news" not in html
    # htmx asks for the list alone, without the page around it.
    partial = client.get(INBOX, {"show": "unread"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert b"Fresh unread news" in partial.content
    assert "HX-Request" in partial["Vary"]
    # A nonsense filter shows everything rather than failing.
    assert b"Already read news" in client.get(INBOX, {"show": "bogus"}).content


def test_mark_one_read_returns_to_the_inbox(world: World, inbox: dict[str, Notification]) -> None:
    client = client_for(world.a.inside)
    response = client.post(read_url(inbox["new"]), {"next": "/notifications/?show=unread"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?show=unread"
    assert Notification.objects.get(pk=inbox["new"].pk).read_at == NOW
    # Marking it again changes nothing (the first read time stays).
    client.post(read_url(inbox["new"]))
    assert Notification.objects.get(pk=inbox["new"].pk).read_at == NOW
    # `next` never sends her off the site.
    response = client.post(read_url(inbox["old"]), {"next": "https://evil.example/"})
    assert response["Location"] == INBOX


def test_someone_elses_notification_is_404(world: World, inbox: dict[str, Notification]) -> None:
    for user in (world.a.inside2, world.b.inside, world.a.tele_manager, world.admin):
        assert client_for(user).post(read_url(inbox["new"])).status_code == 404
    assert Notification.objects.get(pk=inbox["new"].pk).read_at is None
    assert client_for(world.a.inside).post("/notifications/999999/read").status_code == 404


def test_mark_read_with_htmx_swaps_the_row_and_reloads_the_badge(
    world: World, inbox: dict[str, Notification]
) -> None:
    response = client_for(world.a.inside).post(read_url(inbox["new"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    html = response.content.decode()
    assert f'id="notification-{inbox["new"].pk}"' in html
    assert "Mark read" not in html
    # The unread count beside the filter is updated out of band: one left.
    assert re.search(r'id="inbox-unread"[^>]*hx-swap-oob="true">1<', html)


def test_mark_all_read_only_touches_her_own(world: World, inbox: dict[str, Notification]) -> None:
    client = client_for(world.a.inside)
    response = client.post(READ_ALL)
    assert response.status_code == 302
    assert response["Location"] == INBOX
    mine = Notification.objects.filter(user=world.a.inside)
    assert not mine.filter(read_at__isnull=True).exists()
    assert mine.get(pk=inbox["old"].pk).read_at == NOW
    assert mine.get(pk=inbox["read"].pk).read_at == NOW + timedelta(minutes=5)  # kept
    assert Notification.objects.get(pk=inbox["beta"].pk).read_at is None
    assert "2 notifications marked read." in client.get(INBOX).content.decode()


def test_mark_all_read_with_htmx_rerenders_the_list(
    world: World, inbox: dict[str, Notification]
) -> None:
    response = client_for(world.a.inside).post(READ_ALL, {"show": "unread"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    html = response.content.decode()
    assert "Nothing unread" in html
    assert "<html" not in html


# ---------------------------------------------------------------- the header badge


def test_count_is_her_unread_count(world: World, inbox: dict[str, Notification]) -> None:
    response = client_for(world.a.inside).get(COUNT)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert re.search(r'class="notif-count"[^>]*>2<', response.content.decode())
    assert re.search(r'class="notif-count"[^>]*>1<', client_for(world.b.inside).get(COUNT).text)
    nothing = client_for(world.a.sales_rep).get(COUNT).content.decode()
    assert "Inbox" in nothing
    assert "notif-count" not in nothing


def test_count_caps_at_99(world: World, leads: dict[str, Lead]) -> None:
    Notification.objects.bulk_create(
        Notification(user=world.a.inside, kind=NotificationKind.LEAD_EVENT, created_at=NOW)
        for _ in range(120)
    )
    assert ">99+<" in client_for(world.a.inside).get(COUNT).content.decode()


@pytest.mark.parametrize("role", ["inside", "sales_rep", "tele_manager", "marketing", "admin"])
def test_every_page_has_the_badge_and_settings_link(world: World, role: str) -> None:
    user = getattr(world, role) if role in ("marketing", "admin") else getattr(world.a, role)
    html = client_for(user).get(reverse("web:home")).content.decode()
    badge = re.search(r'<a class="inbox-link"[^>]*>', html)
    assert badge is not None
    assert f'href="{INBOX}"' in badge.group(0)
    assert f'hx-get="{COUNT}"' in badge.group(0)
    assert 'hx-trigger="load, every 30s' in badge.group(0)
    assert f'href="{ME}"' in html
    for url in (INBOX, ME):
        assert client_for(user).get(url).status_code == 200


# ---------------------------------------------------------------- CSRF


def test_posts_need_the_csrf_token(world: World, inbox: dict[str, Notification]) -> None:
    client = client_for(world.a.inside, csrf=True)
    assert client.post(read_url(inbox["new"])).status_code == 403
    assert client.post(READ_ALL).status_code == 403
    assert client.post(ME, {"notify_mode": "off", "timezone": ""}).status_code == 403
    assert Notification.objects.filter(user=world.a.inside, read_at__isnull=True).count() == 2
    assert User.objects.get(pk=world.a.inside.pk).notify_mode == NotifyMode.IMMEDIATE
    # The page's own forms carry the token, and with it the POST goes through.
    html = client.get(INBOX).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    response = client.post(read_url(inbox["new"]), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    # htmx sends it as a header, from the <body hx-headers> of base.html.
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert header is not None
    response = client.post(READ_ALL, HTTP_X_CSRFTOKEN=header.group(1), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Notification.objects.filter(user=world.a.inside, read_at__isnull=True).exists()


# ---------------------------------------------------------------- pages and queries


def many(world: World, leads: dict[str, Lead], count: int) -> None:
    """`count` notifications of every kind for Alpha's inside rep, half of them read."""
    lead = leads["alpha"]
    clock = lead.clocks.first()
    assert clock is not None
    event = lead.events.first()
    kinds: list[tuple[str, dict[str, Any]]] = [
        (NotificationKind.SLA_AT_RISK, {"clock": clock}),
        (NotificationKind.SLA_BREACHED, {"clock": clock}),
        (NotificationKind.ESCALATION, {"clock": clock}),
        (NotificationKind.LEAD_EVENT, {"event": event}),
        (NotificationKind.HANDOFF, {"data": {"from": "Alpha Inside", "write_up": "Ready."}}),
    ]
    rows = []
    for i in range(count):
        kind, extra = kinds[i % len(kinds)]
        rows.append(
            Notification(
                user=world.a.inside,
                kind=kind,
                lead=lead,
                created_at=NOW - timedelta(minutes=i),
                read_at=NOW if i % 2 else None,
                email_state=EmailState.OFF,
                **extra,
            )
        )
    Notification.objects.bulk_create(rows)


def test_inbox_query_count_does_not_grow_with_the_page(
    world: World, leads: dict[str, Lead], django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.a.inside)
    many(world, leads, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(INBOX).status_code == 200
    many(world, leads, 120)
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as big:
        html = client.get(INBOX).content.decode()
    assert html.count('class="notification ') == 50
    # 50 rows cost no more than 5: a full page of unread needs no second segment.
    assert len(big) <= len(small)


def test_inbox_pages_through_unread_then_read(world: World, leads: dict[str, Lead]) -> None:
    many(world, leads, 120)  # 60 unread, 60 read
    client = client_for(world.a.inside)
    seen: list[str] = []
    url: str | None = INBOX
    pages = 0
    while url:
        html = client.get(url).content.decode()
        ids = re.findall(r'id="notification-(\d+)"', html)
        unread = re.findall(r'class="notification [^"]*unread', html)
        if pages == 0:
            assert len(unread) == 50
        seen += ids
        older = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    unread_ids = Notification.objects.filter(user=world.a.inside, read_at__isnull=True)
    assert set(seen[:60]) == {str(pk) for pk in unread_ids.values_list("pk", flat=True)}
    # A tampered cursor is reported and the first page shown.
    response = client.get(INBOX, {"cursor": "garbage!"})
    assert response.status_code == 200
    assert "not valid any more" in response.content.decode()


# ---------------------------------------------------------------- my settings


def test_settings_page_shows_her_choices(world: World) -> None:
    User.objects.filter(pk=world.a.inside.pk).update(
        notify_mode=NotifyMode.DIGEST, timezone="Europe/Lisbon"
    )
    html = client_for(world.a.inside).get(ME).content.decode()
    assert re.search(r'value="digest"[^>]*checked', html)
    assert 'value="Europe/Lisbon"' in html
    assert "alpha_inside@example.com" in html
    assert '<option value="America/New_York">' in html  # the zone suggestions


def test_settings_are_saved(world: World) -> None:
    client = client_for(world.a.inside)
    response = client.post(ME, {"notify_mode": "digest", "timezone": "america/new_york"})
    assert response.status_code == 302
    assert response["Location"] == ME
    user = User.objects.get(pk=world.a.inside.pk)
    assert user.notify_mode == NotifyMode.DIGEST
    assert user.timezone == "America/New_York"  # stored under its proper name
    html = client.get(ME).content.decode()
    assert "Settings saved." in html
    assert "Times are in America/New_York" in html
    client.post(ME, {"notify_mode": "immediate", "timezone": ""})
    user.refresh_from_db()
    assert (user.notify_mode, user.timezone) == (NotifyMode.IMMEDIATE, "")


@pytest.mark.parametrize(
    ("posted", "field"),
    [
        ({"notify_mode": "off", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"notify_mode": "off", "timezone": "../../etc/passwd"}, "timezone"),
        ({"notify_mode": "sometimes", "timezone": "Europe/Paris"}, "notify_mode"),
    ],
)
def test_bad_settings_are_rejected_on_the_field(
    world: World, posted: dict[str, str], field: str
) -> None:
    response = client_for(world.a.inside).post(ME, posted)
    assert response.status_code == 422
    html = response.content.decode()
    # Django marks the failing input itself, and the error sits in its field group.
    assert re.search(rf'<input[^>]*name="{field}"[^>]*aria-invalid="true"', html)
    assert f'id="id_{field}_error"' in html
    user = User.objects.get(pk=world.a.inside.pk)
    assert (user.notify_mode, user.timezone) == (NotifyMode.IMMEDIATE, "")  # nothing saved


def test_a_user_without_a_role_has_settings_and_an_inbox(db: None) -> None:
    user = create_user(username="norole", role=Role.MARKETING, password=PASSWORD)
    user.groups.clear()
    client = client_for(user)
    assert client.get(ME).status_code == 200
    assert client.get(INBOX).status_code == 200
