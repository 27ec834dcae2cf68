"""The follow-up pages, under /follow-up/."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.followup import views

app_name = "followup"
urlpatterns: list[URLPattern] = [
    path("follow-up/inbox/", views.inbox, name="inbox"),
    path("follow-up/leads/<int:lead_id>/accept", views.accept_view, name="accept"),
    path("follow-up/leads/<int:lead_id>/reject", views.reject_view, name="reject"),
    path("follow-up/leads/<int:lead_id>/rebook", views.rebook_view, name="rebook"),
    path("follow-up/leads/<int:lead_id>/outcome", views.outcome_view, name="outcome"),
    path("follow-up/tasks/", views.tasks, name="tasks"),
    path("follow-up/tasks/<int:task_id>/done", views.task_done_view, name="task_done"),
    path("follow-up/tasks/<int:task_id>/resend", views.task_resend_view, name="task_resend"),
    path(
        "follow-up/tasks/<int:task_id>/invitation.ics",
        views.invitation_ics,
        name="invitation_ics",
    ),
    path("follow-up/feedback-owed/", views.feedback_owed, name="feedback_owed"),
    path("follow-up/purgatory/", views.purgatory, name="purgatory"),
    path("follow-up/cadences/", views.cadence_list, name="cadences"),
    path("follow-up/cadences/customize", views.cadence_customize, name="cadence_customize"),
    path("follow-up/cadences/<int:template_id>/", views.cadence_edit, name="cadence_edit"),
]
