from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    NEW = "new", "New"
    WORKING = "working", "Working"
    UNREACHABLE = "unreachable", "Unreachable"
    DISQUALIFIED = "disqualified", "Disqualified"
    HANDED_OFF = "handed_off", "Handed off"
    REJECTED = "rejected", "Rejected by sales"
    ACCEPTED = "accepted", "Accepted"
    MEETING_HELD = "meeting_held", "Meeting held"
    NO_SHOW = "no_show", "No-show"
    RECYCLED = "recycled", "Recycled"
    NURTURE = "nurture", "Nurture"
    OPPORTUNITY = "opportunity", "Opportunity"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    DISQUALIFIED_BY_SALES = "disqualified_by_sales", "Disqualified by sales"
    DUPLICATE = "duplicate", "Duplicate"


class Action(models.TextChoices):
    START_WORK = "start_work", "Start work"
    DISQUALIFY = "disqualify", "Disqualify"
    MARK_UNREACHABLE = "mark_unreachable", "Mark unreachable"
    HAND_OFF = "hand_off", "Hand off to sales"
    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"
    MEETING_HELD = "meeting_held", "Meeting held"
    NO_SHOW = "no_show", "No-show"
    RECYCLE = "recycle", "Recycle to inside rep"
    NURTURE = "nurture", "Nurture"
    OPEN_OPPORTUNITY = "open_opportunity", "Open opportunity"
    WIN = "win", "Win"
    LOSE = "lose", "Lose"
    MARK_DUPLICATE = "mark_duplicate", "Mark duplicate"


class ReasonKind(models.TextChoices):
    DISQUALIFY = "disqualify", "Disqualification"
    REJECT = "reject", "Rejection"
    LOSE = "lose", "Loss"
    # A manager marking a lead unreachable before its attempt policy is used up says why.
    UNREACHABLE = "unreachable", "Unreachable"


class EventKind(models.TextChoices):
    """What a lead event records. Stage changes use the action's name."""

    CREATED = "created", "Created"
    SUBMITTED_AGAIN = "submitted_again", "Submitted again"
    ASSIGNED = "assigned", "Assigned"
    TRANSITION = "transition", "Stage changed"
    ACTIVITY = "activity", "Activity logged"
    SLA_BREACHED = "sla_breached", "SLA breached"
    SLA_AT_RISK = "sla_at_risk", "SLA at risk"
    # Written before a breach event named its escalation (`to`) itself; kept
    # so that older histories still read right.
    ESCALATED = "escalated", "Escalated"
    SCORE_CHANGED = "score_changed", "Score changed"
    QUALIFICATION = "qualification", "Qualification answered"
    FEEDBACK = "feedback", "Feedback"
    # On a closed lead: the person came back and a new inquiry was opened.
    RETURNED = "returned", "Asked again"
    EDITED = "edited", "Details edited"
    # Brought in by an import of a lead file: which file, which line.
    IMPORTED = "imported", "Imported"
