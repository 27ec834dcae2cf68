from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    WEB_RFI = "web_rfi", "Web request for information"
    WEBINAR = "webinar", "Webinar"
    TRADE_SHOW = "trade_show", "Trade show"
    MAILING = "mailing", "Mailing"
    EVENT = "event", "Event"
    REFERRAL = "referral", "Referral"
    PURCHASED_LIST = "purchased_list", "Purchased list"
    INBOUND_CALL = "inbound_call", "Inbound call"
    OTHER = "other", "Other"


class SlaUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", "Business hours"
    BUSINESS_DAYS = "business_days", "Business days"


class CompanySize(models.TextChoices):
    """Employee bands used for target markets and the unreachable analysis."""

    MICRO = "1-9", "1-9"
    SMALL = "10-49", "10-49"
    MEDIUM = "50-249", "50-249"
    LARGE = "250-999", "250-999"
    ENTERPRISE = "1000+", "1000+"


def size_band(employees: int | None) -> str:
    if employees is None:
        return ""
    if employees < 10:
        return CompanySize.MICRO
    if employees < 50:
        return CompanySize.SMALL
    if employees < 250:
        return CompanySize.MEDIUM
    if employees < 1000:
        return CompanySize.LARGE
    return CompanySize.ENTERPRISE
