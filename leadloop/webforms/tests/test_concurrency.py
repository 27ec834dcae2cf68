"""1,000 form submissions from 20 threads against a live server: every one answered (no
5xx), none lost, no person made twice. Half are a second submission of someone the
first half already sent, racing it: each person is one lead."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.utils import timezone

from leadloop.leads.models import Lead
from leadloop.sla.models import SlaClock
from leadloop.testing import World
from leadloop.webforms.models import Form, Submission
from leadloop.webforms.selectors import stats
from leadloop.webforms.services import create_form
from leadloop.webforms.stamps import make_stamp

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PEOPLE = 500
SUBMISSIONS = 2 * PEOPLE
THREADS = 20


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            json.loads(response.read())
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_thousand_submissions_from_twenty_threads(
    tworld: World, live_server: Any, settings: Any
) -> None:
    settings.FORMS_RATE_PER_ADDRESS = "off"
    settings.FORMS_RATE_PER_FORM = "off"
    form = create_form(
        actor=tworld.marketing,
        campaign=tworld.a.campaign,
        name="Load",
        fields=["first_name", {"name": "email", "required": True}, "company"],
        now=timezone.now(),
    )
    stamp = make_stamp(form.key, now=time.time() - 60)
    url = f"{live_server.url}/f/{form.key}"
    # Person n is sent as submission n and n + PEOPLE: two threads race for the same person.
    bodies = [
        json.dumps(
            {
                "first_name": f"P{i % PEOPLE}",
                "email": f"person{i % PEOPLE}@load.example",
                "company": "Load Ltd",
                "_stamp": stamp,
            }
        ).encode()
        for i in range(SUBMISSIONS)
    ]
    order = [i // 2 if i % 2 == 0 else PEOPLE + i // 2 for i in range(SUBMISSIONS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(lambda i: _post(url, bodies[i]), order))

    assert Counter(statuses) == {200: SUBMISSIONS}
    emails = list(Lead.objects.filter(campaign=tworld.a.campaign).values_list("email", flat=True))
    assert len(emails) == PEOPLE == len(set(emails))
    assert Submission.objects.filter(form=form).count() == SUBMISSIONS
    created = Submission.objects.filter(form=form, created_lead=True)
    assert created.count() == PEOPLE
    assert created.values("lead").distinct().count() == PEOPLE
    numbers = stats(Form.objects.get(pk=form.pk))
    assert (numbers.submissions, numbers.leads_created) == (SUBMISSIONS, PEOPLE)
    assert numbers.spam_total == 0
    assert (
        SlaClock.objects.filter(lead__campaign=tworld.a.campaign, kind="first_contact").count()
        == PEOPLE
    )
