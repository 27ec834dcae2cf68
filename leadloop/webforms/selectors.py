"""Reads about web forms: whose they are, how they do, what they took in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Count, Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import has_role
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import overridable_campaign_ids
from leadloop.leads.selectors import visible_leads
from leadloop.lib.prepared import prepared
from leadloop.lib.rows import RowLoader
from leadloop.webforms.choices import REJECTION_COLUMNS, Rejection
from leadloop.webforms.models import Form, Submission
from leadloop.webforms.rules import conversion


def may_manage_forms(user: User) -> bool:
    """Managers, marketing and admins; reps never (the same people as source policies)."""
    return has_role(user, Role.MANAGER, Role.MARKETING, Role.ADMIN)


def manageable_campaign_ids(user: User) -> set[int] | None:
    """Campaigns whose forms the user may manage; None means all of them: the
    campaigns whose source policy she may set (marketing and admins any, a
    manager those her team pair works)."""
    return overridable_campaign_ids(user)


def may_manage_campaign(user: User, campaign: Campaign) -> bool:
    if not may_manage_forms(user):
        return False
    allowed = manageable_campaign_ids(user)
    return allowed is None or campaign.pk in allowed


def campaigns_for_forms(user: User) -> QuerySet[Campaign]:
    allowed = manageable_campaign_ids(user)
    qs = Campaign.objects.filter(is_active=True).order_by("name")
    if not may_manage_forms(user):
        return qs.none()
    return qs if allowed is None else qs.filter(pk__in=allowed)


def manageable_forms(user: User) -> QuerySet[Form]:
    """Forms of the campaigns the user may manage: all for marketing and admins, a
    manager's team pair's for a manager, none for anyone else."""
    qs = Form.objects.select_related("campaign", "campaign__team")
    if not may_manage_forms(user):
        return qs.none()
    allowed = manageable_campaign_ids(user)
    return qs if allowed is None else qs.filter(campaign_id__in=allowed)


@cache
def _form_read(vendor: str) -> tuple[str, RowLoader[Form], RowLoader[Campaign]]:
    """`form_by_key`'s statement and its row loaders, built once per process.

    Every public request to a form starts with this lookup. Through the ORM
    (select_related, the default ordering, `first()`) Django compiled the same
    query again each time. Measured in-process on PostgreSQL (the shared
    2-core machine, 10 alternating rounds of 200 lookups): the ORM's lookup
    took 0.99-1.11 ms of CPU a call (2.7 ms wall at best), this statement,
    prepared once per session (`lib.prepared`) like the API's token lookup,
    0.17-0.20 ms of CPU (0.69 ms wall at best).
    """
    del vendor  # the cache key: quoting and converters are the vendor's
    form, campaign = RowLoader(Form, "f", connection), RowLoader(Campaign, "c", connection)
    qn = connection.ops.quote_name
    active = qn("is_active")
    sql = (
        # Names from the models' _meta; the key is a parameter. A key is unique.
        f"SELECT {', '.join(form.columns + campaign.columns)} "  # noqa: S608
        f"FROM {qn(Form._meta.db_table)} f "
        f"JOIN {qn(Campaign._meta.db_table)} c ON c.{qn('id')} = f.{qn('campaign_id')} "
        f"WHERE f.{qn('key')} = %s AND f.{active} AND c.{active}"
    )
    return sql, form, campaign


def form_by_key(key: str) -> Form | None:
    """The form a public key opens (with its campaign): active, of an active campaign;
    otherwise None."""
    sql, form_loader, campaign_loader = _form_read(connection.vendor)
    with connection.cursor() as cur:
        cur.execute(prepared(connection, "leadloop_form_by_key", sql), [key])
        row = cur.fetchone()
    if row is None:
        return None
    split = len(form_loader.columns)
    form = form_loader.build(row[:split], connection)
    campaign = campaign_loader.build(row[split:], connection)
    assert form is not None and campaign is not None  # an inner join of non-null ids
    form.campaign = campaign
    return form


@dataclass(frozen=True)
class FormStats:
    views: int
    submissions: int
    leads_created: int
    conversion: float | None
    spam: dict[str, int]

    @property
    def spam_total(self) -> int:
        return sum(self.spam.values())

    def as_json(self) -> dict[str, object]:
        return {
            "views": self.views,
            "submissions": self.submissions,
            "leads_created": self.leads_created,
            "conversion": self.conversion,
            "spam": self.spam,
        }


def with_counts(forms: QuerySet[Form]) -> QuerySet[Form]:
    """Each form with its accepted submissions and the leads they created, counted."""
    return forms.annotate(
        n_submissions=Count("submission_rows"),
        n_created=Count("submission_rows", filter=Q(submission_rows__created_lead=True)),
    )


def stats(form: Form) -> FormStats:
    """Its numbers; counted from its submissions unless `with_counts` already did."""
    submissions = getattr(form, "n_submissions", None)
    created = getattr(form, "n_created", None)
    if submissions is None or created is None:
        counts = Submission.objects.filter(form=form).aggregate(
            n=Count("pk"), created=Count("pk", filter=Q(created_lead=True))
        )
        submissions, created = counts["n"], counts["created"]
    return FormStats(
        views=form.views,
        submissions=submissions,
        leads_created=created,
        conversion=conversion(submissions, form.views),
        spam={reason.value: getattr(form, REJECTION_COLUMNS[reason.value]) for reason in Rejection},
    )


def recent_submissions(form: Form, *, reader: User, limit: int = 50) -> QuerySet[Submission]:
    """The latest submissions whose leads the reader may see (a sales manager manages her
    pair's forms but sees a lead only once it is handed to her team)."""
    return (
        Submission.objects.filter(form=form, lead__in=visible_leads(reader).values("pk"))
        .select_related("lead")
        .order_by("-submitted_at", "-pk")[:limit]
    )
