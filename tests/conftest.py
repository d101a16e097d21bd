"""Shared pytest configuration.

Hypothesis profiles: ``dev`` (default) draws fresh random examples each run;
``ci`` (loaded when the ``CI`` environment variable is set) is derandomized so
CI runs are reproducible. ``HYPOTHESIS_PROFILE`` selects a profile explicitly.
Per-test ``@settings(max_examples=...)`` still apply on top of the profile.
"""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))
