"""Which campaign earned an order: the customer's last touch within CAMPAIGN_ATTRIBUTION_DAYS (a
click outranks an open, an open a message, at the same moment), or the campaign whose code the
order redeemed. Recipients are built by tests/campaigns/tracking_world.py."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from campaigns import conversions, tracking
from campaigns.models import CampaignConversion
from kernel.events import event_consumers, events_consume
from orders import services as orders
from orders.services import FulfillmentIn, LineIn
from tests.campaigns.tracking_world import IPHONE, make_campaign, make_customer, make_recipient

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _at(hours_ago: float):
    return NOW - timedelta(hours=hours_ago)


def _open(recipient, *, hours_ago: float, user_agent: str = IPHONE):
    with mock.patch("django.utils.timezone.now", return_value=_at(hours_ago)):
        tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=user_agent)


def _click(recipient, *, hours_ago: float, url: str = "/sale/"):
    recipient.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=_at(hours_ago)):
        tracking.recipient_click_record(recipient=recipient, url=url, user_agent=IPHONE)


def _convert(customer, number="W00000001", revenue=5500):
    return conversions.conversion_record_touch(customer_id=customer.pk, order_id=None, order_number=number,
                                               revenue=revenue, order_channel="web", at=NOW)


@pytest.fixture
def hanako(shop):
    return make_customer()


def test_the_consumer_credits_a_placed_order_to_the_clicked_campaign_with_its_total(shop, hanako):
    assert "campaigns.conversions" in event_consumers()
    campaign = make_campaign()
    recipient = make_recipient(campaign, hanako, sent_at=timezone.now() - timedelta(hours=5))
    tracking.recipient_click_record(recipient=recipient, url="/products/linen-shirt/", user_agent=IPHONE)
    order = orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 2)],
                               fulfillment=FulfillmentIn("pickup", "shibuya"))
    assert events_consume(consumer="campaigns.conversions") > 0
    conversion = CampaignConversion.objects.get()
    assert (conversion.campaign, conversion.recipient, conversion.customer, conversion.order) == (
        campaign, recipient, hanako, order)
    assert (conversion.order_number, conversion.revenue, conversion.touch, conversion.channel,
            conversion.order_channel) == (order.number, 11000, "click", "email", shop.web.code)
    # handed over again (a crash before the cursor moved): still one conversion
    conversions.order_placed_handle([mock.Mock(payload={
        "order_id": order.pk, "number": order.number, "customer_id": hanako.pk, "total": 11000,
        "currency": "JPY", "channel": "web"}, created_at=timezone.now())])
    assert CampaignConversion.objects.count() == 1


def test_an_order_without_a_customer_or_without_any_touch_is_nobodys(shop, hanako):
    make_recipient(make_campaign(), make_customer(2))  # someone else's message
    orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                       contact=orders.ContactIn(email="guest@example.jp", name="ゲスト", phone="090-1234-5678"))
    events_consume(consumer="campaigns.conversions")
    assert not CampaignConversion.objects.exists()


def test_the_last_touch_wins_a_later_message_beats_an_earlier_click(hanako):
    clicked, later = make_campaign("秋"), make_campaign("冬")
    _click(make_recipient(clicked, hanako, sent_at=_at(50)), hours_ago=48)
    make_recipient(later, hanako, sent_at=_at(2))
    conversion = _convert(hanako)
    assert (conversion.campaign, conversion.touch) == (later, "sent")


def test_a_click_after_a_later_message_wins_again(hanako):
    first, second = make_campaign("秋"), make_campaign("冬")
    recipient = make_recipient(first, hanako, sent_at=_at(50))
    make_recipient(second, hanako, sent_at=_at(5))
    _click(recipient, hours_ago=1)
    conversion = _convert(hanako)
    assert (conversion.campaign, conversion.recipient, conversion.touch) == (first, recipient, "click")
    assert conversion.touched_at == _at(1)


def test_at_the_same_moment_a_click_outranks_an_open_and_an_open_a_message(hanako):
    sent_only, opened, clicked = make_campaign("A"), make_campaign("B"), make_campaign("C")
    make_recipient(sent_only, hanako, sent_at=_at(3))
    _open(make_recipient(opened, hanako, sent_at=_at(4)), hours_ago=3)
    assert _convert(hanako, "W1").campaign == opened
    _click(make_recipient(clicked, hanako, sent_at=_at(4)), hours_ago=3)
    assert _convert(hanako, "W2").campaign == clicked


def test_machine_opens_earn_nothing(hanako):
    older, prefetched = make_campaign("A"), make_campaign("B")
    make_recipient(older, hanako, sent_at=_at(30))
    _open(make_recipient(prefetched, hanako, sent_at=_at(40)), hours_ago=1, user_agent="Mozilla/5.0")
    # the prefetched campaign's message (40 h ago) is older than the other's (30 h ago)
    assert _convert(hanako).campaign == older


def test_touches_older_than_the_attribution_window_earn_nothing(hanako, settings):
    campaign = make_campaign()
    _click(make_recipient(campaign, hanako, sent_at=_at(24 * 9)), hours_ago=24 * 8)
    assert _convert(hanako, "W1") is None
    settings.CAMPAIGN_ATTRIBUTION_DAYS = 10
    assert _convert(hanako, "W2").campaign == campaign


def test_touches_after_the_order_earn_nothing(hanako):
    make_recipient(make_campaign(), hanako, sent_at=NOW + timedelta(minutes=5))
    assert _convert(hanako) is None


def test_a_redeemed_code_credits_its_campaign_and_the_last_touch_leaves_the_order_alone(hanako):
    coded, clicked = make_campaign("コード"), make_campaign("メール")
    recipient = make_recipient(coded, hanako, channel="sms", sent_at=_at(30))
    _click(make_recipient(clicked, hanako, sent_at=_at(3)), hours_ago=1)
    conversion = conversions.conversion_record_code(campaign_id=coded.pk, customer_id=hanako.pk, order_id=None,
                                                    order_number="P00000007", revenue=3000, channel="pos")
    assert (conversion.touch, conversion.recipient, conversion.channel, conversion.order_channel,
            conversion.revenue) == ("code", recipient, "sms", "pos", 3000)
    assert _convert(hanako, "P00000007") is None
    assert list(CampaignConversion.objects.values_list("campaign_id", flat=True)) == [coded.pk]
    again = conversions.conversion_record_code(campaign_id=coded.pk, customer_id=hanako.pk, order_id=None,
                                               order_number="P00000007", revenue=3000, channel="pos")
    assert again == conversion and CampaignConversion.objects.count() == 1


def test_a_shared_code_redeemed_at_the_till_by_an_unknown_customer_is_a_conversion(shop):
    campaign = make_campaign()
    conversion = conversions.conversion_record_code(campaign_id=campaign.pk, customer_id=None, order_id=None,
                                                    order_number="P00000008", revenue=2200, channel="pos")
    assert (conversion.customer, conversion.recipient, conversion.channel) == (None, None, "")


def test_finding_the_last_touch_takes_three_queries(hanako, django_assert_num_queries):
    for n in range(3):
        recipient = make_recipient(make_campaign(f"C{n}"), hanako, sent_at=_at(10 + n))
        _click(recipient, hours_ago=5 + n)
        _open(recipient, hours_ago=6 + n)
    with django_assert_num_queries(3):
        assert conversions.last_touch(customer_id=hanako.pk, at=NOW).touch == "click"
