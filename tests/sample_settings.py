"""The project's settings with the test-only app tests.sample_app installed (its one line of
wiring, as a retailer's settings would add it); used by tests/kernel/test_registry.py."""

from omnishop.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.sample_app.apps.SampleAppConfig"]  # noqa: F405
