"""The public form doors: no login, no token (leadloop.web.webforms.public)."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from leadloop.web.webforms import public

app_name = "webforms_public"
# The key is URL-safe base64; the snippet's route first, or its key would end in ".js".
KEY = r"(?P<key>[A-Za-z0-9_-]{8,64})"
urlpatterns: list[URLPattern] = [
    re_path(rf"^f/{KEY}\.js$", public.form_script, name="script"),
    re_path(rf"^f/{KEY}$", public.form_page, name="form"),
]
