from dataclasses import dataclass

from kernel.events import EventType, publish_many


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Seen:
    event_id: int


PING = EventType("events_app.ping", Ping)
SEEN = EventType("events_app.seen", Seen)
EVENT_TYPES = [PING, SEEN]

# Set by a test: the handler raises after its writes when it meets this ping number.
FAIL_AT: list[int] = []


def echo(events) -> None:
    """Write one ``seen`` event per ping (a database write in the consumer's transaction)."""
    publish_many(SEEN, items=[(Seen(event_id=event.id), f"ping:{event.payload['n']}") for event in events])
    if FAIL_AT and any(event.payload["n"] in FAIL_AT for event in events):
        raise RuntimeError("consumer died mid-batch")
