"""A campaign's results: every figure of a built campaign in a fixed number of queries, people's
opens only, the unsubscribes its own links recorded (the reference an unsubscribe link carries
into the consent ledger), the figures over time in the shop's time zone, and the chart."""

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from campaigns import conversions, results, tracking
from campaigns.models import CampaignRecipient, RecipientStatus, SkipReason
from customers import consent
from customers.models import ConsentRecord
from tests.campaigns.tracking_world import IPHONE, make_campaign, make_customer, make_recipient

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def campaign(shop):
    return make_campaign()


def _build(campaign):
    """Ten email recipients and three SMS ones with everything that can happen to them."""
    people = [make_customer(n) for n in range(13)]
    email = [make_recipient(campaign, person, sent_at=_tokyo(20, 10)) for person in people[:6]]
    make_recipient(campaign, people[6], status=RecipientStatus.SKIPPED, reason=SkipReason.NO_CONSENT)
    make_recipient(campaign, people[7], status=RecipientStatus.SKIPPED, reason=SkipReason.NO_CONSENT)
    make_recipient(campaign, people[8], status=RecipientStatus.SKIPPED, reason=SkipReason.FREQUENCY_CAP)
    make_recipient(campaign, people[9], status=RecipientStatus.PENDING)
    sms = [make_recipient(campaign, person, channel="sms", sent_at=_tokyo(20, 11), address="09000000000")
           for person in people[10:12]]
    make_recipient(campaign, people[12], channel="sms", status=RecipientStatus.FAILED, error="provider down")
    CampaignRecipient.objects.filter(pk=email[5].pk).update(bounced_at=timezone.now())
    for recipient in email[:3]:
        tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=IPHONE)
    tracking.recipient_open_record(recipient_id=email[3].pk, user_agent="Mozilla/5.0")  # Apple's prefetch
    for recipient in (email[0], sms[0]):
        recipient.refresh_from_db()
        tracking.recipient_click_record(recipient=recipient, url="/sale/", user_agent=IPHONE)
    conversions.conversion_record_touch(customer_id=email[0].customer_id, order_id=None, order_number="W1",
                                        revenue=5500, at=timezone.now())
    conversions.conversion_record_touch(customer_id=sms[0].customer_id, order_id=None, order_number="W2",
                                        revenue=12000, at=timezone.now())
    conversions.conversion_record_code(campaign_id=campaign.pk, customer_id=None, order_id=None,
                                       order_number="P3", revenue=2000, channel="pos")
    reference = tracking.unsubscribe_reference(campaign)
    for customer in (email[1].customer, email[2].customer):
        consent.consent_grant(customer=customer, channel="email", source="staff")
        consent.consent_unsubscribe(token=consent.consent_unsubscribe_token(customer=customer, reference=reference))
    # withdrawn elsewhere, or through another campaign's link: not this campaign's
    consent.consent_grant(customer=email[4].customer, channel="email", source="staff")
    consent.consent_unsubscribe(token=consent.consent_unsubscribe_token(customer=email[4].customer,
                                                                        reference="campaign:999999"))
    consent.consent_withdraw(customer=email[0].customer, channel="email", source="staff")
    return email, sms


def test_results_count_every_figure_of_a_campaign_in_five_queries(campaign, django_assert_num_queries):
    _build(campaign)
    with django_assert_num_queries(5):
        found = results.campaign_results(campaign)
    email, sms, total = found.channels["email"], found.channels["sms"], found.total
    assert (email.recipients, email.pending, email.sent, email.skipped, email.failed) == (10, 1, 6, 3, 0)
    assert (email.delivered, email.bounced, email.opened, email.clicked) == (5, 1, 3, 1)
    assert (email.converted, email.revenue, email.unsubscribed) == (1, 5500, 2)
    assert (sms.recipients, sms.sent, sms.failed, sms.delivered, sms.opened, sms.clicked) == (3, 2, 1, 2, 1, 1)
    assert (sms.converted, sms.revenue, sms.unsubscribed) == (1, 12000, 0)
    assert found.channels[""].converted == 1 and found.channels[""].revenue == 2000  # a shared code at the till
    assert list(found.channels) == ["email", "sms", ""]
    assert (total.recipients, total.sent, total.delivered, total.opened, total.clicked) == (13, 8, 7, 4, 2)
    assert (total.converted, total.revenue, total.unsubscribed) == (3, 19500, 2)
    assert found.converted_by_touch == {"click": 2, "code": 1}
    assert [(reason, count) for reason, _label, count in found.skipped_by_reason] == [
        ("no_consent", 2), ("frequency_cap", 1)]
    assert found.skipped_by_reason[0][1] == str(SkipReason.NO_CONSENT.label)
    assert email.open_rate == pytest.approx(3 / 5) and email.click_to_open_rate == pytest.approx(1 / 3)
    assert email.delivery_rate == pytest.approx(5 / 6)
    assert found.finished_share == pytest.approx(12 / 13)


def test_machine_opens_are_not_opens_in_the_results(campaign):
    recipient = make_recipient(campaign, make_customer())
    tracking.recipient_open_record(recipient_id=recipient.pk, user_agent="Mozilla/5.0")
    tracking.recipient_open_record(recipient_id=recipient.pk, user_agent="Mozilla/5.0 (compatible; proofpoint)")
    assert results.campaign_results(campaign).total.opened == 0
    tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=IPHONE)
    assert results.campaign_results(campaign).total.opened == 1


def test_a_campaign_with_nobody_yet_has_zeros_and_no_rates(campaign):
    found = results.campaign_results(campaign)
    assert found.channels == {} and found.total.recipients == 0 and found.scans == 0
    assert found.total.open_rate is None and found.finished_share is None


def test_scans_count_every_follow_of_the_campaigns_short_links(client, campaign):
    from campaigns.links import link_for

    link = link_for(campaign=campaign, channel="pop", target="/sale/")
    for _ in range(3):
        client.get(f"/r/{link.code}/", HTTP_USER_AGENT=IPHONE)
    assert results.campaign_results(campaign).scans == 3


# --- the unsubscribe reference --------------------------------------------------------------------

def test_an_unsubscribe_links_reference_is_the_withdrawals_source_detail(client, campaign):
    customer = make_customer()
    consent.consent_grant(customer=customer, channel="email", source="staff")
    headers = consent.consent_unsubscribe_headers(customer=customer, reference=tracking.unsubscribe_reference(campaign))
    url = headers["List-Unsubscribe"].strip("<>")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert consent.consent_unsubscribe_read(token).reference == f"campaign:{campaign.pk}"
    response = client.post("/" + url.split("/", 3)[3], {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    record = ConsentRecord.objects.filter(granted=False).get()
    assert (record.source, record.source_detail) == ("unsubscribe", f"campaign:{campaign.pk}")
    assert results.campaign_results(campaign).total.unsubscribed == 1


def test_unsubscribe_tokens_without_a_reference_stay_valid_and_record_none(shop):
    customer = make_customer()
    consent.consent_grant(customer=customer, channel="email", source="staff")
    old = consent.signing.TimestampSigner(salt=consent.UNSUBSCRIBE_SALT).sign_object(
        {"c": customer.pk, "ch": "email", "p": "marketing"})  # as made before references existed
    new = consent.consent_unsubscribe_token(customer=customer)
    assert "r" not in consent.signing.TimestampSigner(salt=consent.UNSUBSCRIBE_SALT).unsign_object(new)
    assert consent.consent_unsubscribe(token=old).reference == ""
    assert ConsentRecord.objects.filter(granted=False).get().source_detail == ""


def test_a_reference_too_long_for_a_link_is_refused(shop):
    with pytest.raises(ValueError):
        consent.consent_unsubscribe_token(customer=make_customer(), reference="campaign:" + "9" * 60)


# --- over time -------------------------------------------------------------------------------------

def test_the_timeline_counts_per_hour_in_the_shops_time_zone_with_empty_hours_as_zeros(
        campaign, django_assert_num_queries):
    people = [make_customer(n) for n in range(4)]
    first = make_recipient(campaign, people[0], sent_at=_tokyo(20, 9, 5))
    make_recipient(campaign, people[1], sent_at=_tokyo(20, 9, 55))
    make_recipient(campaign, people[2], sent_at=_tokyo(20, 10, 30))
    make_recipient(campaign, people[3], status=RecipientStatus.SKIPPED, reason=SkipReason.NO_CONSENT)
    with mock.patch("django.utils.timezone.now", return_value=_tokyo(20, 12, 40)):
        tracking.recipient_open_record(recipient_id=first.pk, user_agent=IPHONE)
        first.refresh_from_db()
        tracking.recipient_click_record(recipient=first, url="/sale/", user_agent=IPHONE)
    conversions.conversion_record_touch(customer_id=people[0].pk, order_id=None, order_number="W9", revenue=1,
                                       at=_tokyo(20, 12, 59))
    with django_assert_num_queries(4):
        points = results.campaign_timeline(campaign, bucket="hour")
    assert [(p.at.astimezone(TOKYO).hour, p.sent, p.opened, p.clicked, p.converted) for p in points] == [
        (9, 2, 0, 0, 0), (10, 1, 0, 0, 0), (11, 0, 0, 0, 0), (12, 0, 1, 1, 1)]
    assert all(p.at.minute == 0 for p in points)


def test_the_timeline_by_day_follows_tokyos_calendar(campaign):
    # 23:30 and 00:30 in Tokyo are the same UTC day (14:30 and 15:30 UTC) but two days in the shop
    make_recipient(campaign, make_customer(1), sent_at=_tokyo(20, 23, 30))
    make_recipient(campaign, make_customer(2), sent_at=_tokyo(21, 0, 30))
    points = results.campaign_timeline(campaign, bucket="day")
    assert [(p.at.astimezone(TOKYO).date().isoformat(), p.sent) for p in points] == [
        ("2026-11-20", 1), ("2026-11-21", 1)]
    with pytest.raises(ValueError):
        results.campaign_timeline(campaign, bucket="week")


def test_the_chart_draws_a_line_per_figure_with_a_title_and_the_figures_as_a_table(campaign):
    make_recipient(campaign, make_customer(1), sent_at=_tokyo(20, 9, 5))
    make_recipient(campaign, make_customer(2), sent_at=_tokyo(20, 11, 5))
    chart = results.timeline_chart(results.campaign_timeline(campaign, bucket="hour"), bucket="hour")
    assert [s.key for s in chart.series] == ["sent", "opened", "clicked", "converted"]
    assert chart.series[0].total == 2 and len(chart.series[0].points.split()) == 3
    assert [tick.label for tick in chart.y_ticks] == ["0", "1"]
    assert [tick.label for tick in chart.x_ticks] == ["11/20 09:00", "10:00", "11:00"]  # the date where it changes
    html = render_to_string("campaigns/_chart.html", {"chart": chart})
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert html.count("<polyline") == 4 and 'class="chart-line chart-line-opened"' in html
    assert "<details" in html and "<table" in html and "11/20 10:00" in html
    assert "style=" not in html  # CSP: colours come from static/css/campaign-chart.css


def test_the_chart_of_a_campaign_with_nothing_sent_says_so(campaign):
    html = render_to_string("campaigns/_chart.html", {"chart": results.campaign_chart(campaign)})
    assert "<svg" not in html and "<p class=\"muted\">" in html
