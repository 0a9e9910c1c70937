"""A test-only app that publishes and consumes domain events, declared on its AppConfig only:
the kernel finds it without importing it (tests/kernel/test_events.py installs it)."""

from django.apps import AppConfig

from kernel.events import EventConsumer


class EventsAppConfig(AppConfig):
    name = "tests.events_app"
    label = "events_app"
    domain_events = "tests.events_app.events.EVENT_TYPES"
    event_consumers = {
        "events_app.echo": EventConsumer("tests.events_app.events.echo", types=("events_app.ping",)),
    }
