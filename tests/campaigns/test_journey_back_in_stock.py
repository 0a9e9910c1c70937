"""The back-in-stock journey end to end (issue 11): a customer subscribed to a sold-out size at a
store; stock is received there; the outbox event enrols them; the journey's message goes out once,
naming the product and the store; a second receipt sends nothing more; a size that sold out again
before the message goes out sends nothing and the subscription waits for the next time."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from brandkit.services import brandkit_seed_default
from campaigns import journeys
from campaigns.backinstock import back_in_stock_subscribe
from campaigns.journey_engine import journeys_run
from campaigns.journey_templates import journey_from_template
from campaigns.models import Campaign, Enrolment
from customers.services import customer_sign_up
from inventory import services as inventory
from kernel import roles
from kernel.events import events_consume_pending
from tests.builders import build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    brandkit_seed_default()
    shop = build_shop(stock_a=0, stock_b=2, stock_warehouse=0)
    marketer = get_user_model().objects.create_user("hq@example.jp", "pass-Word-123")
    roles.assign_role(marketer, roles.HQ_MARKETER)
    journey = journey_from_template(key="back_in_stock", acting_user=marketer)
    Campaign.objects.filter(journey_step__journey=journey).update(quiet_start=None, quiet_end=None)
    journeys.journey_activate(journey=journey, acting_user=marketer)
    hanako = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                              given_name="花子")[1]
    subscription, _created = back_in_stock_subscribe(customer=hanako, variant=shop.small, location=shop.store_a,
                                                     source="storefront")
    return shop, journey, hanako, subscription


def consume():
    return events_consume_pending(consumer="campaigns.journeys")


def test_stock_back_at_the_store_tells_the_subscriber_once(world):
    shop, journey, hanako, subscription = world
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=2, reference="PO-1")
    consume()
    assert Enrolment.objects.filter(journey=journey, customer=hanako).count() == 1
    journeys_run()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hanako@example.jp"]
    assert shop.store_a.name in mail.outbox[0].body
    subscription.refresh_from_db()
    assert subscription.notified_at is not None
    # sold out and back again: the subscription was used up, no second message
    inventory.stock_reserve(location=shop.store_a, lines=[(shop.small, 2)], reference="order:W9")
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1, reference="PO-2")
    consume()
    journeys_run()
    assert len(mail.outbox) == 1


def test_a_size_sold_out_again_before_the_message_sends_nothing_and_keeps_the_subscription(world):
    shop, journey, hanako, subscription = world
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1, reference="PO-1")
    consume()
    # someone bought the one unit before the engine ran
    inventory.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="order:W1")
    journeys_run()
    assert mail.outbox == []
    enrolment = Enrolment.objects.get(journey=journey)
    assert (enrolment.status, enrolment.exit_reason) == ("exited", "sold_out_again")
    subscription.refresh_from_db()
    assert subscription.notified_at is None, "it waits for the next time"


def test_stock_back_elsewhere_does_not_tell_a_store_subscriber(world):
    shop, journey, _hanako, _subscription = world
    inventory.stock_receive(variant=shop.small, location=shop.store_b, quantity=3, reference="PO-1")
    consume()
    assert not Enrolment.objects.filter(journey=journey).exists()


def test_a_message_held_back_is_not_sent_if_the_size_sold_out_meanwhile_and_the_request_waits_again(world):
    """The engine found the size there and queued the message; quiet hours held it; the size sold
    out before morning: at the moment of sending it is checked again, not sent, and the request is
    open again for the next time."""
    from campaigns import sending
    from campaigns.models import CampaignRecipient

    shop, journey, hanako, subscription = world
    Campaign.objects.filter(journey_step__journey=journey).update(status="draft")  # the sender waits
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1, reference="PO-1")
    consume()
    journeys_run()
    recipient = CampaignRecipient.objects.get()
    assert recipient.status == "pending" and mail.outbox == []
    inventory.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="order:W1")
    Campaign.objects.filter(journey_step__journey=journey).update(status="sending")
    sending.campaign_send_batch(recipient.campaign_id, recipient.pk, recipient.pk)
    recipient.refresh_from_db()
    assert (recipient.status, recipient.reason) == ("skipped", "out_of_stock") and mail.outbox == []
    subscription.refresh_from_db()
    assert subscription.notified_at is None, "it waits for the next time"
