"""SLA policy pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.policies import views

app_name = "campaigns"
urlpatterns: list[URLPattern] = [
    path("sla/policies", views.policy_list, name="policy_list"),
    path("sla/policies/<int:policy_id>/edit", views.policy_edit, name="policy_edit"),
    path("campaigns/<int:campaign_id>/policy", views.campaign_policy, name="campaign_policy"),
]
