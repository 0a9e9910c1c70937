"""The project's settings with the outbox benchmark's consumers installed (bench/outbox.py)."""

from omnishop.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.outbox.OutboxBenchConfig"]  # noqa: F405
