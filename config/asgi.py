from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# This process serves the web: its database connections get WEB_STATEMENT_TIMEOUT (see
# config/settings.py). The worker and the command line never import this module.
os.environ.setdefault("LEADLOOP_WEB_PROCESS", "true")
application = get_asgi_application()
