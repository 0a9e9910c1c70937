"""Delivery receipts through the signed webhook: the signature (good, bad, stale, replayed), and
what each receipt does to the campaign's recipient, the suppression list and consent."""

import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from campaigns.models import Campaign, CampaignRecipient, DeliveryReceipt, RecipientStatus, Suppression
from campaigns.receipts import ReceiptRefused, ReceiptsInvalid, receipt_verify, receipts_record
from campaigns.suppression import is_suppressed
from customers.consent import consent_allows, consent_decision
from tests.campaigns.loopback_http import LoopbackHttp
from tests.campaigns.receipts_world import SECRET, customer_with_consent, event, recipient, send, signed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.CAMPAIGN_WEBHOOK_SECRETS = {"sms": SECRET, "email": SECRET}
    settings.CAMPAIGN_RECEIPT_TOLERANCE_SECONDS = 300


@pytest.fixture
def gateway():
    with LoopbackHttp() as server:
        yield server


@pytest.fixture
def sent(gateway):
    """Hanako got the campaign by SMS and by email; the SMS gateway called the SMS msg-1."""
    campaign = Campaign.objects.create(name="春のセール")
    hanako = customer_with_consent(email="Hanako@Example.jp", phone="090-1234-5678")
    by_sms, by_email = recipient(campaign, hanako, "sms"), recipient(campaign, hanako, "email")
    sms_id, email_id = send(by_sms, gateway_url=gateway.url), send(by_email)
    return {"sms": by_sms, "email": by_email, "sms_id": sms_id, "email_id": email_id, "customer": hanako}


def post(client, provider: str, body, **sign):
    raw, headers = signed(body, **sign) if not isinstance(body, tuple) else body
    return client.post(reverse("storefront:campaign_receipts_webhook", args=[provider]), raw,
                       content_type="application/json", **headers)


def fresh(row: CampaignRecipient) -> CampaignRecipient:
    return CampaignRecipient.objects.get(pk=row.pk)


# --- the signature --------------------------------------------------------------------------

def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_body_signed_with_the_providers_secret_within_five_minutes_is_accepted():
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    timestamp = str(int(now.timestamp()) - 299)
    receipt_verify(provider="sms", timestamp=timestamp, signature=sign(b'{"events":[]}', timestamp),
                   body=b'{"events":[]}', now=now)


@pytest.mark.parametrize("seconds", [301, -301])
def test_a_timestamp_more_than_five_minutes_away_is_refused_as_stale(seconds):
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    timestamp = str(int(now.timestamp()) - seconds)
    with pytest.raises(ReceiptRefused) as refused:
        receipt_verify(provider="sms", timestamp=timestamp, signature=sign(b"{}", timestamp), body=b"{}", now=now)
    assert refused.value.reason == "stale"


def test_a_body_changed_after_signing_is_refused():
    timestamp = str(int(time.time()))
    with pytest.raises(ReceiptRefused) as refused:
        receipt_verify(provider="sms", timestamp=timestamp, signature=sign(b'{"events":[]}', timestamp),
                       body=b'{"events":[{}]}')
    assert refused.value.reason == "bad_signature"


def test_a_signature_with_another_secret_or_another_timestamp_is_refused():
    timestamp = str(int(time.time()))
    for signature in (sign(b"{}", timestamp, "other-secret"), sign(b"{}", str(int(timestamp) - 1))):
        with pytest.raises(ReceiptRefused):
            receipt_verify(provider="sms", timestamp=timestamp, signature=signature, body=b"{}")


def test_during_a_key_rotation_one_matching_signature_among_several_is_enough(settings):
    settings.CAMPAIGN_WEBHOOK_SECRETS = {"sms": ["new-secret"]}
    timestamp = str(int(time.time()))
    both = f"{sign(b'{}', timestamp, 'old-secret')}, {sign(b'{}', timestamp, 'new-secret')}"
    receipt_verify(provider="sms", timestamp=timestamp, signature=both, body=b"{}")


def test_a_provider_without_a_configured_secret_is_refused():
    timestamp = str(int(time.time()))
    with pytest.raises(ReceiptRefused) as refused:
        receipt_verify(provider="line", timestamp=timestamp, signature=sign(b"{}", timestamp), body=b"{}")
    assert refused.value.reason == "unknown_provider"


# --- the webhook ----------------------------------------------------------------------------

def test_a_delivered_receipt_marks_the_recipient_delivered_and_answers_the_counts(client, sent):
    response = post(client, "sms", {"events": [event("ev-1", "delivered", sent["sms_id"],
                                                     occurred_at="2026-12-01T10:00:05+09:00")]})

    assert response.status_code == 200
    assert response.json() == {"recorded": 1, "duplicates": 0, "unmatched": 0}
    row = fresh(sent["sms"])
    assert row.delivered_at == datetime(2026, 12, 1, 1, 0, 5, tzinfo=UTC)
    assert DeliveryReceipt.objects.get().recipient == row


def test_a_replayed_request_within_the_window_changes_nothing_and_reports_duplicates(client, sent):
    body = {"events": [event("ev-1", "hard_bounce", sent["sms_id"])]}
    request = signed(body)
    post(client, "sms", request)
    again = post(client, "sms", request)

    assert again.status_code == 200
    assert again.json() == {"recorded": 0, "duplicates": 1, "unmatched": 0}
    assert DeliveryReceipt.objects.count() == 1
    assert Suppression.objects.count() == 1


def test_a_replay_after_five_minutes_is_refused_with_401(client, sent):
    response = post(client, "sms", {"events": [event("ev-1", "delivered", sent["sms_id"])]},
                    at=time.time() - 301)
    assert response.status_code == 401
    assert response.json()["reason"] == "stale"
    assert not DeliveryReceipt.objects.exists()


def test_a_bad_signature_is_refused_with_401_and_records_nothing(client, sent):
    response = post(client, "sms", {"events": [event("ev-1", "delivered", sent["sms_id"])]}, secret="guess")
    assert response.status_code == 401
    assert response.json()["code"] == "receipt_refused"
    assert response.json()["reason"] == "bad_signature"
    assert fresh(sent["sms"]).delivered_at is None


def test_a_request_without_signature_headers_is_refused(client, sent):
    response = client.post(reverse("storefront:campaign_receipts_webhook", args=["sms"]), b'{"events": []}',
                           content_type="application/json")
    assert response.status_code == 401
    assert response.json()["reason"] == "missing_signature"


def test_a_signed_body_that_is_not_json_answers_400_naming_the_body(client):
    response = post(client, "sms", b"events=1")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


def test_a_malformed_event_answers_400_naming_the_field_and_records_none_of_the_batch(client, sent):
    response = post(client, "sms", {"events": [
        event("ev-1", "delivered", sent["sms_id"]),
        {"id": "ev-2", "type": "opened", "transport_id": sent["sms_id"], "occurred_at": "yesterday"}]})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"events.1.type", "events.1.occurred_at"}
    assert not DeliveryReceipt.objects.exists()
    assert fresh(sent["sms"]).delivered_at is None


def test_the_webhook_takes_no_get_requests(client):
    assert client.get(reverse("storefront:campaign_receipts_webhook", args=["sms"])).status_code == 405


def test_a_receipt_for_a_message_we_never_sent_is_kept_and_counted_unmatched(client, sent):
    response = post(client, "sms", {"events": [event("ev-9", "delivered", "msg-unknown")]})
    assert response.json() == {"recorded": 1, "duplicates": 0, "unmatched": 1}
    assert DeliveryReceipt.objects.get().recipient is None


# --- what receipts do -----------------------------------------------------------------------

def test_a_hard_bounce_marks_the_recipient_bounced_and_suppresses_the_number(sent):
    receipts_record(provider="sms", events=[event("ev-1", "hard_bounce", sent["sms_id"], detail="unknown number")])

    assert fresh(sent["sms"]).bounced_at is not None
    row = Suppression.objects.get()
    assert (row.channel, row.address, row.reason) == ("sms", "+819012345678", "hard_bounce")
    assert is_suppressed("sms", "090-1234-5678")
    assert not is_suppressed("email", "hanako@example.jp")


def test_two_soft_bounces_do_not_suppress_and_the_third_within_30_days_does(sent):
    receipts_record(provider="sms", events=[
        event("ev-1", "soft_bounce", sent["sms_id"], occurred_at="2026-11-05T10:00:00+09:00"),
        event("ev-2", "soft_bounce", sent["sms_id"], occurred_at="2026-11-20T10:00:00+09:00")])
    assert not Suppression.objects.exists()
    assert fresh(sent["sms"]).error  # the latest soft bounce is shown on the recipient

    receipts_record(provider="sms", events=[
        event("ev-3", "soft_bounce", sent["sms_id"], occurred_at="2026-12-01T10:00:00+09:00")])
    assert Suppression.objects.get().reason == "soft_bounces"


def test_three_soft_bounces_spread_over_more_than_30_days_do_not_suppress(sent):
    receipts_record(provider="sms", events=[
        event("ev-1", "soft_bounce", sent["sms_id"], occurred_at="2026-09-01T10:00:00+09:00"),
        event("ev-2", "soft_bounce", sent["sms_id"], occurred_at="2026-10-15T10:00:00+09:00"),
        event("ev-3", "soft_bounce", sent["sms_id"], occurred_at="2026-12-01T10:00:00+09:00")])
    assert not Suppression.objects.exists()


def test_a_complaint_suppresses_the_address_and_withdraws_marketing_consent_on_that_channel(sent):
    hanako = sent["customer"]
    assert consent_allows(customer=hanako, channel="email")

    receipts_record(provider="email", events=[event("ev-1", "complaint", sent["email_id"])])

    assert Suppression.objects.get().reason == "complaint"
    assert is_suppressed("email", "HANAKO@example.jp")
    assert not consent_allows(customer=hanako, channel="email")
    decision = consent_decision(customer=hanako, channel="email")
    assert decision.source == "api"
    assert "complaint" in decision.source_detail
    assert consent_allows(customer=hanako, channel="sms")  # another channel keeps its opt-in


def test_a_failure_after_the_provider_took_the_message_keeps_it_sent_with_the_error_shown(sent):
    receipts_record(provider="sms", events=[event("ev-1", "failed", sent["sms_id"], detail="handset unreachable")])

    row = fresh(sent["sms"])
    assert row.status == RecipientStatus.SENT
    assert "handset unreachable" in row.error


def test_email_receipts_from_the_relay_find_the_recipient_by_message_id(client, sent):
    assert mail.outbox[0].extra_headers["Message-ID"] == sent["email_id"]
    response = post(client, "email", {"events": [event("ev-1", "delivered", sent["email_id"])]})
    assert response.json()["unmatched"] == 0
    assert fresh(sent["email"]).delivered_at is not None
    assert fresh(sent["sms"]).delivered_at is None


def test_recording_the_same_events_again_changes_nothing(sent):
    events = [event("ev-1", "complaint", sent["email_id"]), event("ev-2", "hard_bounce", sent["sms_id"])]
    first = receipts_record(provider="sms", events=events[1:])
    receipts_record(provider="email", events=events[:1])
    again = receipts_record(provider="sms", events=events[1:])

    assert (first.recorded, again.recorded, again.duplicates) == (1, 0, 1)
    assert Suppression.objects.count() == 2
    assert DeliveryReceipt.objects.count() == 2


def test_the_same_event_id_from_two_providers_is_two_receipts(sent):
    receipts_record(provider="sms", events=[event("ev-1", "delivered", sent["sms_id"])])
    receipts_record(provider="email", events=[event("ev-1", "delivered", sent["email_id"])])
    assert DeliveryReceipt.objects.count() == 2


def test_unix_seconds_are_accepted_as_the_time_and_a_naive_time_is_refused(sent):
    when = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    receipts_record(provider="sms", events=[{**event("ev-1", "delivered", sent["sms_id"]),
                                             "occurred_at": int(when.timestamp())}])
    assert fresh(sent["sms"]).delivered_at == when
    with pytest.raises(ReceiptsInvalid) as invalid:
        receipts_record(provider="sms", events=[{**event("ev-2", "delivered", sent["sms_id"]),
                                                 "occurred_at": "2026-12-01T10:00:00"}])
    assert "events.0.occurred_at" in invalid.value.errors


def test_an_earlier_delivery_time_wins_and_a_later_one_does_not_move_it(sent):
    receipts_record(provider="sms", events=[event("ev-1", "delivered", sent["sms_id"],
                                                  occurred_at="2026-12-01T10:00:00+09:00")])
    receipts_record(provider="sms", events=[event("ev-2", "delivered", sent["sms_id"],
                                                  occurred_at="2026-12-01T11:00:00+09:00")])
    assert fresh(sent["sms"]).delivered_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
