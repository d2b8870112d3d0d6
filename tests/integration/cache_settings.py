"""The test settings with the cache a test passes in REHAB_TEST_CACHE (JSON): the child
processes of test_shared_throttle.py."""

import json
import os

from rehab.settings_testing import *  # noqa: F403

CACHES = {"default": json.loads(os.environ["REHAB_TEST_CACHE"])}
