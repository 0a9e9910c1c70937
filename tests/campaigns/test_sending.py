"""Sending a campaign to a real SMTP server on loopback: only recorded opt-ins receive it, every
recipient is accounted for with a reason, each email carries the sender, the opt-out link and the
RFC 8058 headers, and a batch run again after a worker died sends nothing twice and leaves no gap."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns import sending, services
from campaigns.models import (
    CampaignRecipient,
    CampaignStatus,
    RecipientStatus,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from campaigns.providers import EmailProvider
from customers.consent import consent_withdraw
from customers.models import CustomerEvent, EventKind
from kernel.models import Delivery, DeliveryStatus
from tests.campaigns.smtp import SmtpServer
from tests.campaigns.world import approved, build_world, write_campaign

pytestmark = pytest.mark.django_db(transaction=True)
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5}}}
        yield server.inbox


@pytest.fixture
def world(db):
    return build_world()


def daytime(monkeypatch, hour: int = 12):
    """Now is ``hour`` o'clock in Tokyo tomorrow (outside or inside the default quiet hours 21:00–08:00),
    after everything the world recorded."""
    tomorrow = timezone.now().astimezone(TOKYO).date() + timedelta(days=1)
    moment = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, 0, tzinfo=TOKYO)
    monkeypatch.setattr(sending.timezone, "now", lambda: moment)
    monkeypatch.setattr(services.timezone, "now", lambda: moment)
    return moment


def send(world, campaign):
    approved(world, campaign)
    services.campaign_start(campaign=campaign, acting_user=world.approver)  # tasks run inline in tests
    campaign.refresh_from_db()
    return campaign


def by_name(world, campaign) -> dict[str, CampaignRecipient]:
    names = {c.pk: name for name, c in world.people.items()}
    return {names[r.customer_id]: r for r in CampaignRecipient.objects.filter(campaign=campaign)}


def test_only_recorded_opt_ins_receive_it_and_everyone_is_accounted_for(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign = send(world, write_campaign(world))
    assert campaign.status == CampaignStatus.FINISHED
    rows = by_name(world, campaign)
    assert set(rows) == {"hanako", "ken", "silent", "left"}  # Tokyo; the Osaka customer is not in the segment
    assert rows["hanako"].status == rows["ken"].status == RecipientStatus.SENT
    assert (rows["silent"].status, rows["silent"].reason) == (RecipientStatus.SKIPPED, SkipReason.NO_CONSENT)
    assert (rows["left"].status, rows["left"].reason) == (RecipientStatus.SKIPPED, SkipReason.NO_CONSENT)
    assert sorted(str(m["To"]) for m in smtp.messages) == ["hanako@example.jp", "ken@example.jp"]
    assert CustomerEvent.objects.filter(kind=EventKind.EMAIL_SENT, subject=f"campaign:{campaign.pk}").count() == 2


def test_each_email_names_the_sender_carries_the_opt_out_and_the_one_click_headers(world, smtp, monkeypatch):
    daytime(monkeypatch)
    send(world, write_campaign(world))
    mail = smtp.to("hanako@example.jp")[0]
    assert mail["Subject"] == "秋の新作のご案内"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<https://") or mail["List-Unsubscribe"].startswith("<http")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "山田 花子 様" in text and "山田 花子 様" in html
    for part in (text, html):
        assert "株式会社ミナト商店" in part and "神奈川県横浜市" in part  # the sender and its address
        assert "/consent/unsubscribe/" in part or "unsubscribe" in part
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith(">")


def test_a_consent_withdrawn_after_the_start_is_respected_at_the_moment_of_sending(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign = approved(world, write_campaign(world))
    monkeypatch.setattr(sending, "_enqueue_batches", lambda campaign_id, bounds: None)  # the queue is slow today
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    consent_withdraw(customer=world.people["ken"], channel="email", source="unsubscribe")
    for first, last in sending.batch_bounds(campaign.pk):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert by_name(world, campaign)["ken"].reason == SkipReason.NO_CONSENT
    assert [str(m["To"]) for m in smtp.messages] == ["hanako@example.jp"]


def test_a_suppressed_address_is_skipped_whatever_the_consent(world, smtp, monkeypatch):
    daytime(monkeypatch)
    Suppression.objects.create(channel="email", address="ken@example.jp", reason=SuppressionReason.HARD_BOUNCE)
    campaign = send(world, write_campaign(world))
    assert by_name(world, campaign)["ken"].reason == SkipReason.SUPPRESSED
    assert not smtp.to("ken@example.jp")


def test_the_frequency_cap_counts_every_campaign(world, smtp, monkeypatch):
    daytime(monkeypatch)
    services.sending_policy_update(acting_user=world.author, frequency_cap=1, frequency_days=7)
    send(world, write_campaign(world, name="一通目"))
    second = send(world, write_campaign(world, name="二通目"))
    assert {r.reason for r in CampaignRecipient.objects.filter(campaign=second, customer__email__in=[
        "hanako@example.jp", "ken@example.jp"])} == {SkipReason.FREQUENCY_CAP}
    assert len(smtp.messages) == 2


def test_quiet_hours_hold_messages_until_morning_in_the_customers_time(world, smtp, monkeypatch):
    night = daytime(monkeypatch, hour=22)
    campaign = send(world, write_campaign(world))
    assert campaign.status == CampaignStatus.SENDING and not smtp.messages
    held = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING)
    assert {r.not_before.astimezone(TOKYO).hour for r in held} == {8}
    morning = night + timedelta(hours=10, minutes=1)
    monkeypatch.setattr(sending.timezone, "now", lambda: morning)
    sending.campaigns_tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED and len(smtp.messages) == 2


class WorkerKilled(BaseException):
    """The process is gone: nothing after this point runs (not even an ``except Exception``)."""


def _start_without_queue(world, campaign, monkeypatch):
    campaign = approved(world, campaign)
    monkeypatch.setattr(sending, "_enqueue_batches", lambda campaign_id, bounds: None)
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    (bounds,) = sending.batch_bounds(campaign.pk)
    return campaign, bounds


def test_a_worker_killed_mid_batch_resumes_without_duplicates_or_gaps(world, smtp, monkeypatch):
    """The worker dies after the first message went out, while preparing the second; the broker
    hands the batch to another worker, which sends the rest and nothing twice."""
    daytime(monkeypatch)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    real = sending.outgoing_message
    calls = []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return real(*args, **kwargs)

    monkeypatch.setattr(sending, "outgoing_message", dying)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert len(smtp.messages) == 1
    # the batch claimed both messages at once: the unsent one waits in the dead worker's claim
    # (retry-safe, nothing was handed over) until the lease is over, as a redelivered task finds it
    unsent = Delivery.objects.get(status=DeliveryStatus.SENDING)
    assert unsent.retry_safe
    monkeypatch.setattr(sending, "outgoing_message", real)
    sending.campaign_send_batch(campaign.pk, first, last)
    assert len(smtp.messages) == 1  # a live claim (within the lease) is never sent by another worker
    Delivery.objects.filter(pk=unsent.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    sending.campaign_send_batch(campaign.pk, first, last)
    sending.campaign_send_batch(campaign.pk, first, last)  # and a duplicate task changes nothing
    campaign.refresh_from_db()
    assert sorted(str(m["To"]) for m in smtp.messages) == ["hanako@example.jp", "ken@example.jp"]
    assert len({m["Message-ID"] for m in smtp.messages}) == 2
    assert campaign.status == CampaignStatus.FINISHED


def test_a_worker_killed_before_the_relay_accepted_the_message_resends_it_once(world, smtp, monkeypatch):
    """Killed in the SMTP conversation, with the message transmitted but the final "." not sent:
    the relay accepted nothing (it discards the unfinished DATA), so the next worker sends it, and
    every customer gets exactly one."""
    daytime(monkeypatch)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    real_send = EmailProvider.send
    calls = []

    def dying_send(self, message, commit=None):
        calls.append(message.to)
        if len(calls) == 2:
            def die():
                raise WorkerKilled
            return real_send(self, message, die)  # the worker dies just before the point of no return
        return real_send(self, message, commit)

    monkeypatch.setattr(EmailProvider, "send", dying_send)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert len(smtp.messages) == 1
    assert Delivery.objects.get(recipient=calls[1]).status == DeliveryStatus.SENDING
    Delivery.objects.filter(status=DeliveryStatus.SENDING).update(claimed_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(EmailProvider, "send", real_send)
    sending.campaign_send_batch(campaign.pk, first, last)
    assert sorted(str(m["To"]) for m in smtp.messages) == ["hanako@example.jp", "ken@example.jp"]  # once each
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    assert set(CampaignRecipient.objects.filter(campaign=campaign, channel="email").exclude(
        reason="no_consent").values_list("status", flat=True)) == {RecipientStatus.SENT}


def test_a_worker_killed_after_the_relay_accepted_never_sends_it_twice_and_says_so(world, smtp, monkeypatch):
    """Killed between the relay's acceptance and the ledger's record (one reply's time): SMTP
    cannot be asked, so it is not sent again; the recipient is failed with the reason and the
    ledger lists it for staff, who may release it (kernel.deliveries)."""
    daytime(monkeypatch)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    real_send = EmailProvider.send
    calls = []

    def dying_send(self, message, commit=None):
        calls.append(message.to)
        accepted = real_send(self, message, commit)
        if len(calls) == 2:
            raise WorkerKilled  # the relay accepted it; the worker died before recording it
        return accepted

    monkeypatch.setattr(EmailProvider, "send", dying_send)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert Delivery.objects.get(recipient=calls[1]).status == DeliveryStatus.COMMITTING
    Delivery.objects.filter(status=DeliveryStatus.COMMITTING).update(claimed_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(EmailProvider, "send", real_send)
    sending.campaign_send_batch(campaign.pk, first, last)
    assert sorted(str(m["To"]) for m in smtp.messages) == ["hanako@example.jp", "ken@example.jp"]  # once each
    second = CampaignRecipient.objects.get(campaign=campaign, address=calls[1])
    assert second.status == RecipientStatus.FAILED and "stopped" in second.error
    assert Delivery.objects.get(recipient=calls[1]).status == DeliveryStatus.UNKNOWN
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_a_worker_killed_before_its_bookkeeping_sends_nothing_again_and_settles_each_recipient_once(
        world, smtp, monkeypatch):
    """The ledger marks each message sent at once; the recipients' "sent" and their timeline events
    are written in bulk (SentBook). A worker that dies with both messages sent but before that
    write leaves the recipients pending: the batch run again sends nothing and settles them from
    the ledger, with one event each."""
    daytime(monkeypatch)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    real_flush = sending.SentBook.flush

    def dying_flush(self):
        if self.rows:
            raise WorkerKilled
        return real_flush(self)

    monkeypatch.setattr(sending.SentBook, "flush", dying_flush)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert len(smtp.messages) == 2
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    emailed = CampaignRecipient.objects.filter(campaign=campaign, address__in=["hanako@example.jp", "ken@example.jp"])
    assert not emailed.exists()  # nothing of the bookkeeping was written
    sent_events = CustomerEvent.objects.filter(kind=EventKind.EMAIL_SENT, subject=f"campaign:{campaign.pk}")
    assert not sent_events.exists()
    monkeypatch.setattr(sending.SentBook, "flush", real_flush)
    sending.campaign_send_batch(campaign.pk, first, last)
    sending.campaign_send_batch(campaign.pk, first, last)  # and once more: nothing changes
    assert len(smtp.messages) == 2
    rows = by_name(world, campaign)
    for name in ("hanako", "ken"):
        assert (rows[name].status, rows[name].error) == (RecipientStatus.SENT, "")
        delivery = Delivery.objects.get(recipient=f"{name}@example.jp")
        assert rows[name].sent_at == delivery.sent_at
    assert sorted(sent_events.values_list("customer_id", flat=True)) == sorted(
        [world.people["hanako"].pk, world.people["ken"].pk])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_the_sent_bookkeeping_is_written_in_bulk_not_once_a_message(world, monkeypatch):
    """A book full of sent messages costs one transaction of a constant number of statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = write_campaign(world)
    people = list(world.people.values())
    recipients = CampaignRecipient.objects.bulk_create([
        CampaignRecipient(campaign=campaign, customer=customer, channel="email") for customer in people])
    monkeypatch.setattr(sending.SentBook, "FLUSH_EVERY", len(recipients))
    book = sending.SentBook(campaign)
    moment = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        for recipient in recipients[:-1]:
            book.add(recipient, sent_at=moment, address="hanako@example.jp", language="ja")
        assert not queries.captured_queries  # nothing written until the book is full
        book.add(recipients[-1], sent_at=moment, address="hanako@example.jp", language="ja")
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(writes) <= 6, writes  # (BEGIN, SET LOCAL,) SELECT … FOR UPDATE, UPDATE, INSERT, COMMIT
    assert CampaignRecipient.objects.filter(pk__in=[r.pk for r in recipients], status=RecipientStatus.SENT,
                                            sent_at=moment).count() == len(recipients)
    assert CustomerEvent.objects.filter(customer__in=people, kind=EventKind.EMAIL_SENT,
                                        subject=f"campaign:{campaign.pk}", occurred_at=moment).count() == len(people)
    assert book.flush() == 0


def test_an_address_the_relay_does_not_know_fails_at_once_and_is_suppressed(world, smtp, monkeypatch):
    daytime(monkeypatch)
    smtp.refuse["ken@example.jp"] = "550 5.1.1 No such user here"
    campaign = send(world, write_campaign(world))
    ken = by_name(world, campaign)["ken"]
    assert ken.status == RecipientStatus.FAILED and "550" in ken.error
    assert Suppression.objects.filter(channel="email", address="ken@example.jp",
                                      reason=SuppressionReason.HARD_BOUNCE).exists()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_a_relay_deferring_a_message_retries_with_backoff_then_fails_visibly(world, smtp, monkeypatch):
    moment = daytime(monkeypatch)
    smtp.refuse["ken@example.jp"] = "451 4.3.0 Try again later"
    campaign = send(world, write_campaign(world))
    ken = by_name(world, campaign)["ken"]
    assert ken.status == RecipientStatus.PENDING and ken.attempts == 1 and ken.not_before > moment
    assert "451" in ken.error
    for attempt in range(sending.MAX_ATTEMPTS):
        later = moment + timedelta(hours=attempt + 1)
        monkeypatch.setattr(sending.timezone, "now", lambda later=later: later)
        sending.campaigns_tick()
    ken.refresh_from_db()
    campaign.refresh_from_db()
    assert ken.status == RecipientStatus.FAILED and ken.attempts == sending.MAX_ATTEMPTS
    assert campaign.status == CampaignStatus.FINISHED


def test_cancelling_mid_send_skips_those_not_sent_yet(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign, _bounds = _start_without_queue(world, write_campaign(world), monkeypatch)
    services.campaign_cancel(campaign=campaign, acting_user=world.approver)
    for first, last in sending.batch_bounds(campaign.pk):
        sending.campaign_send_batch(campaign.pk, first, last)
    assert not smtp.messages
    assert {r.reason for r in CampaignRecipient.objects.filter(campaign=campaign)} <= {
        SkipReason.CANCELLED, SkipReason.NO_CONSENT}


def test_each_recipient_gets_their_own_single_use_code_and_keeps_it_on_a_retry(world, smtp, monkeypatch):
    from campaigns import offers
    from campaigns.models_offers import OfferCode

    daytime(monkeypatch)
    body = "{{ name_honorific }}\nクーポンコード：{{ offer_code }}"
    campaign = write_campaign(world, body=body)
    offer = offers.offer_create(acting_user=world.author, name="冬の感謝祭 10%OFF", kind="percent", value=10,
                                campaign=campaign)
    batch = offers.codes_generate(offer=offer, count=5, acting_user=world.author)
    offers.code_batch_fill(batch.pk)
    send(world, campaign)
    assigned = dict(OfferCode.objects.filter(offer=offer, customer__isnull=False).values_list("customer_id", "code"))
    assert set(assigned) == {world.people["hanako"].pk, world.people["ken"].pk}
    for name in ("hanako", "ken"):
        text = smtp.to(f"{name}@example.jp")[0].get_body(("plain",)).get_content()
        assert offers.code_printed(assigned[world.people[name].pk]) in text
    again = sending.campaign_codes(campaign, [world.people["hanako"].pk])
    assert again == {world.people["hanako"].pk: offers.code_printed(assigned[world.people["hanako"].pk])}


def test_an_sms_goes_through_the_http_provider_with_the_sender_the_opt_out_and_a_short_link(
        world, smtp, monkeypatch, settings):
    from customers.consent import consent_grant
    from tests.campaigns.loopback_http import Answer, LoopbackHttp

    daytime(monkeypatch)
    consent_grant(customer=world.people["hanako"], channel="sms", source="storefront")
    with LoopbackHttp() as server:
        server.default = Answer(200, {"id": "sms-1"})
        settings.CAMPAIGN_PROVIDERS = {"sms": {"class": "campaigns.providers_http.HttpSmsProvider",
                                               "url": server.url, "token": "t", "sender": "MINATO"}}
        campaign = send(world, write_campaign(world, channels=("sms",)))
    assert campaign.status == CampaignStatus.FINISHED
    (request,) = server.requests  # Hanako only: the others gave no SMS consent (or have no mobile number)
    body = request.json
    assert body["to"] == "+819012345678" and body["from"] == "MINATO"
    text = body["text"]
    assert text.startswith("【ミナト商店】") and "株式会社ミナト商店" in text and "/consent/unsubscribe/" in text
    assert "/r/" in text and "?t=" in text  # the button as a short tracked link
    assert by_name(world, campaign)["hanako"].status == RecipientStatus.SENT
    assert Delivery.objects.get(channel="sms").transport_id == "sms-1"


def test_quiet_hours_follow_each_customers_own_time_zone(world, smtp, monkeypatch):
    from customers.services import customer_update_profile

    customer_update_profile(customer=world.people["ken"], time_zone="America/Los_Angeles")
    daytime(monkeypatch, hour=14)  # 14:00 in Tokyo is 21:00 (or 22:00) the evening before in Los Angeles
    campaign = send(world, write_campaign(world))
    assert [str(m["To"]) for m in smtp.messages] == ["hanako@example.jp"]
    ken = by_name(world, campaign)["ken"]
    assert ken.status == RecipientStatus.PENDING
    assert ken.not_before.astimezone(ZoneInfo("America/Los_Angeles")).hour == 8


def test_an_unknown_time_zone_is_refused(world):
    from django.core.exceptions import ValidationError

    from customers.services import customer_update_profile

    with pytest.raises(ValidationError) as caught:
        customer_update_profile(customer=world.people["ken"], time_zone="Mars/Olympus")
    assert "time_zone" in caught.value.message_dict


def test_the_clock_never_finishes_a_campaign_whose_recipients_are_still_being_written(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign = approved(world, write_campaign(world))
    monkeypatch.setattr(services, "_queue_fan_out", lambda campaign_id: None)  # the fan-out task is still queued
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    sending.campaigns_tick()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING  # "nothing pending" is not "all sent" yet
    sending.campaign_fan_out(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED and len(smtp.messages) == 2


def test_the_clock_queues_a_killed_workers_batch_again_once_batches_stopped_finishing(world, smtp, monkeypatch):
    """With a broker that does not hand a dead worker's task over (Redis), the batch it held stays
    pending: the clock queues it again once no batch has finished for lost_batch_after() (twice the
    lease, so the dead worker's claims are stale), not before, and not again a minute later."""
    start = daytime(monkeypatch)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    queued = []
    monkeypatch.setattr(sending, "_enqueue_batches", lambda campaign_id, bounds: queued.append(bounds))
    real = sending.outgoing_message

    def dying(*args, **kwargs):
        if smtp.messages:
            raise WorkerKilled
        return real(*args, **kwargs)

    monkeypatch.setattr(sending, "outgoing_message", dying)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    monkeypatch.setattr(sending, "outgoing_message", real)

    def tick_at(moment):
        monkeypatch.setattr(sending.timezone, "now", lambda: moment)
        sending.campaigns_tick()

    tick_at(start + timedelta(minutes=1))
    assert queued == []  # the batch may still be running
    later = start + sending.lost_batch_after() + timedelta(minutes=1)
    tick_at(later)
    pending = CampaignRecipient.objects.get(campaign=campaign, status=RecipientStatus.PENDING)
    assert queued == [[(pending.pk, pending.pk)]]  # only what is still pending
    tick_at(later + timedelta(minutes=1))
    assert len(queued) == 1  # queued again once, not every minute
    sending.campaign_send_batch(campaign.pk, pending.pk, pending.pk)
    campaign.refresh_from_db()
    assert sorted(str(m["To"]) for m in smtp.messages) == ["hanako@example.jp", "ken@example.jp"]
    assert campaign.status == CampaignStatus.FINISHED and campaign.batch_done_at is not None


def test_a_relay_announcing_pipelining_gets_the_envelope_in_one_round_trip(world, smtp, monkeypatch):
    """RFC 2920: MAIL, RCPT and DATA go together; a refused recipient still fails as a hard bounce
    and the next message goes through on the same connection."""
    daytime(monkeypatch)
    smtp.pipelining = True
    smtp.refuse["ken@example.jp"] = "550 5.1.1 No such user here"
    pipelined = []
    real = EmailProvider._envelope_pipelined

    def spy(smtp_connection, sender, recipients, options):
        pipelined.append(recipients)
        return real(smtp_connection, sender, recipients, options)

    monkeypatch.setattr(EmailProvider, "_envelope_pipelined", staticmethod(spy))
    campaign = send(world, write_campaign(world))
    assert sorted(pipelined) == [["hanako@example.jp"], ["ken@example.jp"]]
    assert [str(m["To"]) for m in smtp.messages] == ["hanako@example.jp"]
    assert smtp.messages[0]["Subject"] == "秋の新作のご案内"
    ken = by_name(world, campaign)["ken"]
    assert ken.status == RecipientStatus.FAILED and "550" in ken.error
    assert Suppression.objects.filter(channel="email", address="ken@example.jp",
                                      reason=SuppressionReason.HARD_BOUNCE).exists()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def _more_tokyo_customers(n: int) -> list[str]:
    from customers.consent import consent_grant
    from customers.services import customer_create

    addresses = []
    for i in range(n):
        customer = customer_create(email=f"lane{i}@example.jp", family_name="東京", given_name=f"{i}号",
                                   prefecture="13", language="ja")
        consent_grant(customer=customer, channel="email", source="storefront")
        addresses.append(customer.email)
    return addresses


def test_lanes_send_a_batch_at_once_each_email_exactly_once(world, smtp, monkeypatch, settings):
    """With CAMPAIGN_SEND_CONCURRENCY, a batch's emails go out from several threads, each with its
    own SMTP and database connection; every recipient still gets exactly one, with one event."""
    import threading

    from django.db import connection

    daytime(monkeypatch)
    extra = _more_tokyo_customers(10)
    settings.CAMPAIGN_SEND_CONCURRENCY = 3
    monkeypatch.setattr(sending, "MIN_PER_LANE", 2)
    threads = []
    real_send = EmailProvider.send

    def recording_send(self, message, commit=None):
        threads.append((threading.current_thread().name, id(self)))
        return real_send(self, message, commit)

    monkeypatch.setattr(EmailProvider, "send", recording_send)
    campaign = send(world, write_campaign(world))
    assert campaign.status == CampaignStatus.FINISHED
    expected = sorted(["hanako@example.jp", "ken@example.jp", *extra])
    assert sorted(str(m["To"]) for m in smtp.messages) == expected
    assert len({m["Message-ID"] for m in smtp.messages}) == len(expected)
    lanes = 3 if connection.vendor == "postgresql" else 1  # SQLite writes one transaction at a time
    assert len({name for name, _provider in threads}) == lanes  # three lanes, three threads
    assert len({provider for _name, provider in threads}) == lanes  # and three SMTP connections
    assert CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count() == len(expected)
    assert CustomerEvent.objects.filter(kind=EventKind.EMAIL_SENT,
                                        subject=f"campaign:{campaign.pk}").count() == len(expected)


def test_a_lane_that_dies_leaves_the_others_bookkept_and_the_batch_resumes_without_duplicates(
        world, smtp, monkeypatch, settings):
    daytime(monkeypatch)
    extra = _more_tokyo_customers(7)
    settings.CAMPAIGN_SEND_CONCURRENCY = 3
    monkeypatch.setattr(sending, "MIN_PER_LANE", 2)
    campaign, (first, last) = _start_without_queue(world, write_campaign(world), monkeypatch)
    real_send = EmailProvider.send
    calls = []

    def dying_send(self, message, commit=None):
        calls.append(message.to)
        if len(calls) == 4:
            def die():
                raise WorkerKilled
            return real_send(self, message, die)  # dies just before the point of no return
        return real_send(self, message, commit)

    monkeypatch.setattr(EmailProvider, "send", dying_send)
    with pytest.raises(WorkerKilled):
        sending.campaign_send_batch(campaign.pk, first, last)
    received = len(smtp.messages)
    assert received == len(calls) - 1
    # every email a lane handed over is bookkept (the lanes that lived flushed their books)
    assert CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count() == received
    Delivery.objects.filter(status=DeliveryStatus.SENDING).update(claimed_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(EmailProvider, "send", real_send)
    sending.campaign_send_batch(campaign.pk, first, last)
    sending.campaign_send_batch(campaign.pk, first, last)
    expected = sorted(["hanako@example.jp", "ken@example.jp", *extra])
    assert sorted(str(m["To"]) for m in smtp.messages) == expected  # once each
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    assert CustomerEvent.objects.filter(kind=EventKind.EMAIL_SENT,
                                        subject=f"campaign:{campaign.pk}").count() == len(expected)
