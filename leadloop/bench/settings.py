"""Settings for the bench's server: the project's, plus the bare endpoint's URL.

The baseline must not be reachable in a real deployment, so it is mounted
only here, in a settings module that `leadloop bench` alone selects.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "leadloop.bench.urls"
