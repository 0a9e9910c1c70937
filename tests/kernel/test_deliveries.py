"""The delivery ledger (kernel.deliveries): a message is claimed in its own committed row before
the transport is called and marked sent after; a retry never sends it twice, and a claim left by
a dead worker is resolved by the documented rule (stale "claimed": sent; stale "sending": unknown,
not sent). The order emails' kill-a-worker test is tests/orders/test_email_exactly_once.py."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from kernel.deliveries import (
    DeliveryInTransaction,
    deliver_once,
    delivery_claim,
    delivery_mark_sending,
    delivery_mark_sent,
    delivery_message_id,
    delivery_release,
)
from kernel.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

KEY = "order:W00000001:confirmation"


class Transport:
    def __init__(self, fail: bool = False):
        self.sent: list[int] = []
        self.fail = fail

    def __call__(self, delivery: Delivery) -> str:
        if self.fail:
            raise OSError("connection refused")
        self.sent.append(delivery.pk)
        return f"<{delivery.pk}@test>"


def deliver(transport, recipient="Hanako@Example.jp", **kwargs):
    return deliver_once(message_key=KEY, recipient=recipient, channel="email", send=transport, **kwargs)


def age(seconds: int) -> None:
    Delivery.objects.update(claimed_at=timezone.now() - timedelta(seconds=seconds))


def test_a_second_run_finds_the_sent_delivery_and_does_not_call_the_transport(settings):
    transport = Transport()
    first = deliver(transport)
    assert deliver(transport) is None
    assert deliver(transport, recipient=" hanako@example.jp ") is None  # the same recipient, normalised

    assert len(transport.sent) == 1
    row = Delivery.objects.get()
    assert row == first and row.status == DeliveryStatus.SENT and row.recipient == "hanako@example.jp"
    assert row.transport_id == f"<{row.pk}@test>" and row.sent_at is not None and row.attempts == 1


def test_another_recipient_or_channel_is_another_delivery():
    transport = Transport()
    deliver(transport)
    deliver(transport, recipient="taro@example.jp")
    deliver_once(message_key=KEY, recipient="hanako@example.jp", channel="sms", send=transport)
    assert len(transport.sent) == 3


def test_on_sent_runs_with_the_sent_mark_and_only_then():
    seen = []
    deliver(Transport(), on_sent=lambda d: seen.append(d.status))
    deliver(Transport(), on_sent=lambda d: seen.append(d.status))
    assert seen == [DeliveryStatus.SENT]


def test_a_claim_inside_a_transaction_is_refused():
    with transaction.atomic(), pytest.raises(DeliveryInTransaction):
        deliver(Transport())
    assert not Delivery.objects.exists()


def test_a_fresh_claim_belongs_to_a_live_worker_and_is_not_sent_by_another():
    claimed = delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email")
    transport = Transport()
    assert deliver(transport) is None
    assert transport.sent == [] and Delivery.objects.get().claimed_by == claimed.claimed_by


def test_a_stale_claim_that_never_reached_the_transport_is_sent_once_by_the_next_run(settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email")  # the worker died here
    age(61)
    transport = Transport()
    assert deliver(transport) is not None
    assert deliver(transport) is None
    row = Delivery.objects.get()
    assert len(transport.sent) == 1 and row.status == DeliveryStatus.SENT and row.attempts == 2


def test_a_stale_sending_is_unknown_and_not_sent_again_until_staff_release_it(settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    claimed = delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email")
    delivery_mark_sending(delivery=claimed)  # the worker died while the transport had the message
    transport = Transport()
    assert deliver(transport) is None  # still within the lease: maybe still sending
    assert Delivery.objects.get().status == DeliveryStatus.SENDING
    age(61)
    assert deliver(transport) is None
    assert deliver(transport) is None
    row = Delivery.objects.get()
    assert transport.sent == [] and row.status == DeliveryStatus.UNKNOWN

    assert delivery_release(delivery=row) is True
    assert deliver(transport) is not None
    assert len(transport.sent) == 1 and Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_refused_send_is_failed_and_the_next_run_sends_it():
    with pytest.raises(OSError):
        deliver(Transport(fail=True))
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.FAILED and "connection refused" in row.error
    transport = Transport()
    assert deliver(transport) is not None
    assert len(transport.sent) == 1 and Delivery.objects.get().attempts == 2


def test_a_slow_worker_whose_stale_claim_was_taken_over_cannot_mark_it_sent(settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    slow = delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email")
    age(61)
    taker = delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email")
    assert taker is not None and taker.claimed_by != slow.claimed_by
    assert delivery_mark_sending(delivery=slow) is False
    assert delivery_mark_sent(delivery=slow, transport_id="x") is False
    assert Delivery.objects.get().status == DeliveryStatus.CLAIMED


def test_the_message_id_is_derived_from_the_key_and_recipient():
    one = delivery_message_id(message_key=KEY, recipient="hanako@example.jp")
    assert one == delivery_message_id(message_key=KEY, recipient="hanako@example.jp")
    assert one != delivery_message_id(message_key=KEY, recipient="taro@example.jp")
    assert one.startswith("<") and one.endswith("@example.jp>")


def test_the_lease_defaults_to_the_task_timeout(settings):
    from kernel.deliveries import delivery_lease

    assert delivery_lease() == timedelta(seconds=settings.Q_CLUSTER["timeout"])


def test_the_admin_lists_deliveries_read_only_and_releases_an_unknown_one_with_an_audit_row(admin_client, settings):
    from kernel.models import AuditEntry

    settings.DELIVERY_LEASE_SECONDS = 60
    delivery_mark_sending(delivery=delivery_claim(message_key=KEY, recipient="hanako@example.jp", channel="email"))
    age(61)
    deliver(Transport())  # finds the dead worker's send: unknown
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.UNKNOWN

    page = admin_client.get("/admin/omnishop/delivery/?status=unknown")
    assert page.status_code == 200 and KEY in page.content.decode()
    assert admin_client.get(f"/admin/omnishop/delivery/{row.pk}/change/").status_code == 200  # view only
    assert admin_client.post(f"/admin/omnishop/delivery/{row.pk}/change/", {"status": "sent"}).status_code == 403

    admin_client.post("/admin/omnishop/delivery/", {"action": "release", "_selected_action": [row.pk]})
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    entry = AuditEntry.objects.get(action="delivery_release")
    assert entry.actor.is_superuser and entry.object_id == str(row.pk)


def _age(key: str) -> None:
    Delivery.objects.filter(message_key=key).update(claimed_at=timezone.now() - timedelta(hours=1))


def test_a_two_phase_send_killed_before_its_commit_point_is_sent_again_once():
    from kernel.deliveries import deliver_once

    sent = []

    def killed(delivery, commit):
        raise SystemExit  # the worker is gone before commit(): the transport accepted nothing

    with pytest.raises(SystemExit):
        deliver_once(message_key="m-2p", recipient="a@example.jp", channel="email", send=killed, two_phase=True)
    _age("m-2p")

    def transport(delivery, commit):
        commit()
        sent.append(delivery.recipient)
        return "id-1"

    assert deliver_once(message_key="m-2p", recipient="a@example.jp", channel="email", send=transport,
                        two_phase=True) is not None
    assert sent == ["a@example.jp"]
    assert deliver_once(message_key="m-2p", recipient="a@example.jp", channel="email", send=transport,
                        two_phase=True) is None


def test_a_two_phase_send_killed_after_its_commit_point_is_unknown_and_not_sent_again():
    from kernel.deliveries import deliver_once

    def killed_after_commit(delivery, commit):
        commit()
        raise SystemExit  # the relay may have accepted it

    with pytest.raises(SystemExit):
        deliver_once(message_key="m-2p-late", recipient="a@example.jp", channel="email", send=killed_after_commit,
                     two_phase=True)
    _age("m-2p-late")
    assert deliver_once(message_key="m-2p-late", recipient="a@example.jp", channel="email",
                        send=lambda delivery, commit: "never", two_phase=True) is None
    assert Delivery.objects.get(message_key="m-2p-late").status == DeliveryStatus.UNKNOWN


def test_a_transport_that_drops_repeats_is_sent_again_after_a_dead_worker():
    from kernel.deliveries import deliver_once

    with pytest.raises(SystemExit):
        deliver_once(message_key="m-idem", recipient="+819012345678", channel="sms",
                     send=lambda delivery: (_ for _ in ()).throw(SystemExit), retry_safe=True)
    _age("m-idem")
    assert deliver_once(message_key="m-idem", recipient="+819012345678", channel="sms",
                        send=lambda delivery: "sms-1", retry_safe=True) is not None
    assert Delivery.objects.get(message_key="m-idem").attempts == 2


def test_a_batch_is_claimed_in_one_insert_and_the_ledger_rule_still_holds_for_each_message(
        django_assert_max_num_queries):
    from kernel.deliveries import delivery_claim_many

    deliver(Transport(), recipient="sent@example.jp")  # sent: never claimed again
    Delivery.objects.create(message_key=KEY, recipient="failed@example.jp", channel="email",
                            status=DeliveryStatus.FAILED)  # failed: taken over
    Delivery.objects.create(message_key=KEY, recipient="live@example.jp", channel="email",
                            status=DeliveryStatus.SENDING, retry_safe=True, claimed_at=timezone.now(),
                            claimed_by="another worker")  # a live worker's: left alone
    fresh = [(KEY, f"New{i}@Example.jp", "email") for i in range(50)]
    with django_assert_max_num_queries(5):  # the INSERT in its transaction (and SET LOCAL on PostgreSQL), one read
        claimed = delivery_claim_many(messages=fresh, sending=True, retry_safe=True)
    assert len(claimed) == 50 and all(row.status == DeliveryStatus.SENDING and row.retry_safe
                                       for row in claimed.values())
    assert (KEY, "new7@example.jp", "email") in claimed  # keyed by the normalised recipient

    others = [(KEY, address, "email") for address in ("sent@example.jp", "failed@example.jp", "live@example.jp")]
    claimed = delivery_claim_many(messages=[*fresh, *others], sending=True, retry_safe=True)
    assert set(claimed) == {(KEY, "failed@example.jp", "email")}
    assert claimed[KEY, "failed@example.jp", "email"].status == DeliveryStatus.SENDING

    with pytest.raises(ValueError):
        delivery_claim_many(messages=fresh, sending=True, retry_safe=False)


def test_a_message_claimed_with_its_batch_is_sent_once_through_deliver_once():
    from kernel.deliveries import delivery_claim_many

    transport = Transport()
    claimed = delivery_claim_many(messages=[(KEY, "hanako@example.jp", "email")])
    row = claimed[KEY, "hanako@example.jp", "email"]
    assert row.status == DeliveryStatus.CLAIMED
    assert deliver_once(message_key=KEY, recipient="hanako@example.jp", channel="email", send=transport,
                        claimed=row) is not None
    assert deliver(transport, recipient="hanako@example.jp") is None
    assert len(transport.sent) == 1


def test_the_point_of_no_return_waits_for_the_disk_and_the_sent_mark_after_it_does_not():
    """Two-phase steps, each one statement: ``committing`` must survive a crash of the database
    server (else the message could be sent again), so it waits for the disk; the ``sent`` mark after
    it may be lost in such a crash (the row is then reported of unknown outcome, never resent)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kernel.db import NO_DISK_WAIT_CONDITION
    from kernel.deliveries import delivery_claim_many, delivery_mark_committing

    row = delivery_claim_many(messages=[(KEY, "hanako@example.jp", "email")], sending=True,
                              retry_safe=True)[KEY, "hanako@example.jp", "email"]
    with CaptureQueriesContext(connection) as committing:
        assert delivery_mark_committing(delivery=row)
    with CaptureQueriesContext(connection) as sent:
        assert delivery_mark_sent(delivery=row, transport_id="<id@example.jp>")
    assert len(committing.captured_queries) == len(sent.captured_queries) == 1
    assert NO_DISK_WAIT_CONDITION not in committing.captured_queries[0]["sql"]
    assert (NO_DISK_WAIT_CONDITION in sent.captured_queries[0]["sql"]) == (connection.vendor == "postgresql")
    row.refresh_from_db()
    assert (row.status, row.transport_id, row.retry_safe) == (DeliveryStatus.SENT, "<id@example.jp>", False)
    assert row.sent_at is not None
    assert not delivery_mark_sent(delivery=row)  # a step from the wrong state changes nothing
