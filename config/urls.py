from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from leadloop.api.router import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("leadloop.web.notifications.urls")),
    path("", include("leadloop.web.teams.urls")),
    path("", include("leadloop.web.policies.urls")),
    path("", include("leadloop.web.imports.urls")),
    path("", include("leadloop.web.webhooks.urls")),
    path("", include("leadloop.web.scoring_urls")),
    path("reports/", include("leadloop.reports.urls")),
    path("", include("leadloop.web.followup.urls")),
    path("", include("leadloop.web.webforms.urls")),
    path("", include("leadloop.web.webforms.public_urls")),
    path("", include("leadloop.web.urls")),
]
