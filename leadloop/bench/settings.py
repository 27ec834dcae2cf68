"""Settings for the bench's server: the project's, plus the bare endpoint's URL.

The baseline must not be reachable in a real deployment, so it is mounted
only here, in a settings module that `leadloop bench` alone selects.
"""

from __future__ import annotations

import json
import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "leadloop.bench.urls"

# The load generator sends thousands of requests a second with one token from
# one address: limits far above that, so the throttles' counting is measured
# on every request and none is refused.
API_RATE_PER_TOKEN = "100000000/min"
API_RATE_PER_ADDRESS = "100000000/min"

# The ids the baseline endpoints write with (leadloop.bench.baseline): the
# bench sets them from its prepare-api part, as JSON in this variable.
BENCH_BASELINE = json.loads(os.environ.get("LEADLOOP_BENCH_BASELINE") or "{}")
