"""gunicorn's settings for leadloop's web processes: `-c config/gunicorn_conf.py`.

The README's production command and `leadloop bench` both start gunicorn with
this file, so what the bench measures is what production runs. Everything
else (workers, bind address) stays on the command line.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Move the loaded application out of the cyclic garbage collector's reach.

    A worker holds ~270,000 objects the collector tracks once Django, the
    views and their libraries are imported; they live as long as the
    process, yet every full (generation 2) collection walks all of them, in
    the middle of whichever request allocated last. Measured in one worker
    process with the app loaded (the shared 2-core machine, busy): a full
    collection took 490-700 ms; after `gc.freeze()` the same collection
    walks only what requests left behind (~0 ms). Importing the URL
    configuration first loads every view module, so they are frozen too
    rather than loaded (and scanned) on a worker's first requests. The
    young generations keep their default thresholds: a generation-0
    collection took 0.2-0.3 ms, one per ~6 intakes (1,500 in-process
    intakes, no generation-2 collection among them).
    """
    del worker
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- the property imports every view module
    gc.collect()
    gc.freeze()
