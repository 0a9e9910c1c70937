"""Domain events (kernel.events): an append-only outbox written in the transaction of the change,
read by consumers that apps declare on their AppConfig, each from its own cursor."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from kernel import events, tasks
from kernel.models import ConsumerCursor, DomainEvent
from tests.events_app import events as app_events
from tests.events_app.events import PING, Ping

ECHO = "events_app.echo"

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_app(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.events_app.apps.EventsAppConfig"]
    app_events.FAIL_AT.clear()
    yield
    app_events.FAIL_AT.clear()


def ping(*numbers: int) -> None:
    with transaction.atomic():
        events.publish_many(PING, items=[(Ping(n=n), f"ping:{n}") for n in numbers])


def seen() -> Counter:
    return Counter(row.payload["event_id"] for row in DomainEvent.objects.filter(type="events_app.seen"))


def cursor() -> ConsumerCursor:
    return ConsumerCursor.objects.get(consumer=ECHO)


def test_an_event_rolls_back_with_the_change_it_records(events_app):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(PING, payload=Ping(n=1), subject="ping:1")
        raise RuntimeError("the change failed")
    assert not DomainEvent.objects.exists()
    with transaction.atomic():
        event = events.publish(PING, payload=Ping(n=2), subject="ping:2")
    assert DomainEvent.objects.get().payload == {"n": 2} and event.type == "events_app.ping"


def test_publish_refuses_a_payload_of_another_type_and_events_are_append_only(events_app):
    with transaction.atomic():
        with pytest.raises(events.EventError):
            events.publish(PING, payload={"n": 1})
        event = events.publish(PING, payload=Ping(n=1))
    with pytest.raises(ValueError):
        event.save()


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused(events_app):
    with pytest.raises(events.EventError):
        events.publish(PING, payload=Ping(n=1))
    assert not DomainEvent.objects.exists()


def test_a_consumer_declared_by_an_app_is_found_without_the_kernel_importing_it(events_app):
    assert events.event_consumers()[ECHO].types == ("events_app.ping",)
    assert "events_app.seen" in events.event_types()
    ping(1, 2, 3)
    assert tasks.events_dispatch()[ECHO] == 3  # (the domain apps declare consumers of their own)
    assert seen() == Counter({e.id: 1 for e in DomainEvent.objects.filter(type="events_app.ping")})
    assert cursor().handled == 3


def test_no_consumer_without_the_app():
    assert ECHO not in events.event_consumers()


def test_a_consumer_that_dies_mid_batch_advances_nothing_and_resumes_from_its_cursor(events_app, settings):
    settings.EVENTS_GAP_GRACE = 0  # on PostgreSQL the dead batch's rolled-back ids leave a hole
    ping(1, 2)
    assert events.events_consume(consumer=ECHO) == 2
    ping(3, 4, 5)
    app_events.FAIL_AT.append(4)
    with pytest.raises(RuntimeError):
        events.events_consume(consumer=ECHO)
    assert cursor().last_event_id == DomainEvent.objects.filter(type="events_app.ping")[1].id
    assert sum(seen().values()) == 2  # the dead batch's own writes rolled back with it
    app_events.FAIL_AT.clear()
    assert events.events_consume(consumer=ECHO) == 3 + 2  # pings 3-5, and the two "seen" events it skips
    assert events.events_consume(consumer=ECHO) == 3  # the "seen" events of the second batch
    pings = DomainEvent.objects.filter(type="events_app.ping")
    assert seen() == Counter({e.id: 1 for e in pings})  # each ping handled exactly once
    assert events.events_consume(consumer=ECHO) == 0


def test_a_consumer_reads_in_batches(events_app):
    ping(*range(10))
    assert events.events_consume(consumer=ECHO, batch=4) == 4
    assert events.events_consume_pending(consumer=ECHO, batch=4) == 6 + 4 + 4 + 2  # pings, then seen
    assert len(seen()) == 10


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_never_handle_an_event_twice(events_app):
    if connection.vendor != "postgresql":
        pytest.skip("threads racing on row locks need PostgreSQL")
    ping(*range(3000))
    errors = []

    def run():
        try:
            for _ in range(40):
                events.events_consume(consumer=ECHO, batch=100)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert not errors
    events.events_consume_pending(consumer=ECHO)
    counts = seen()
    assert len(counts) == 3000 and set(counts.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_later_id_is_not_skipped(events_app):
    if connection.vendor != "postgresql":
        pytest.skip("ids commit out of order only with concurrent writers (PostgreSQL)")
    ping(0)
    assert events.events_consume(consumer=ECHO) == 1
    inserted, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                events.publish(PING, payload=Ping(n=1))  # takes the lower id ...
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    inserted.wait(10)
    ping(2)  # ... this one takes the higher id and commits first
    events.events_consume_pending(consumer=ECHO)  # stops at the hole, still in its grace
    assert sorted(DomainEvent.objects.get(pk=pk).payload["n"] for pk in seen()) == [0]
    release.set()
    writer.join()
    events.events_consume_pending(consumer=ECHO)
    assert sorted(DomainEvent.objects.get(pk=pk).payload["n"] for pk in seen()) == [0, 1, 2]


def test_a_hole_older_than_the_grace_is_passed(events_app, settings):
    settings.EVENTS_GAP_GRACE = 0
    ping(1)
    events.events_consume(consumer=ECHO)
    with transaction.atomic():
        ping(2)
        DomainEvent.objects.filter(type="events_app.ping", payload__n=2).delete()  # the id a rollback leaves
    ping(3)
    events.events_consume_pending(consumer=ECHO)
    assert sorted(DomainEvent.objects.get(pk=pk).payload["n"] for pk in seen()) == [1, 3]


def test_the_consumers_run_every_minute_on_a_schedule():
    from django_q.models import Schedule

    [schedule] = Schedule.objects.filter(func="kernel.tasks.events_dispatch")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1 and schedule.repeats == -1
