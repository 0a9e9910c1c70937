"""A customer's engagement by channel and message type (customers.engagement): read from the event
stream in one query, shown as a card on the 360 page and over the API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customers.engagement import customer_engagement
from customers.models import EventKind
from customers.services import customer_create, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(shop):
    return customer_create(email="hanako@example.jp", family_name="佐藤", given_name="花子")


def _campaign_message(customer, campaign: int, *, channel: str = "email", opened: bool = False,
                      clicked: bool = False, machine_open: bool = False, when=None) -> None:
    """What campaigns.sending and campaigns.tracking record for one message."""
    when = when or timezone.now()
    data = {"campaign": campaign, "channel": channel}
    sent = EventKind.EMAIL_SENT if channel == "email" else EventKind.SMS_SENT
    event_record(customer=customer, kind=sent, subject=f"campaign:{campaign}", data=data, occurred_at=when)
    if machine_open:
        event_record(customer=customer, kind=EventKind.EMAIL_OPENED, subject=f"campaign:{campaign}",
                     data={**data, "machine": True}, occurred_at=when + timedelta(seconds=1))
    if opened:
        for minutes in (5, 65):  # opened twice: one message opened
            event_record(customer=customer, kind=EventKind.EMAIL_OPENED, subject=f"campaign:{campaign}", data=data,
                         occurred_at=when + timedelta(minutes=minutes))
    if clicked:
        kind = {"email": EventKind.EMAIL_CLICKED, "sms": EventKind.SMS_CLICKED, "line": EventKind.LINE_CLICKED}[channel]
        event_record(customer=customer, kind=kind, subject=f"campaign:{campaign}", data={**data, "url": "/x/"},
                     occurred_at=when + timedelta(minutes=10))


def _engagement_world(customer):
    _campaign_message(customer, 1, opened=True, clicked=True)
    _campaign_message(customer, 2, machine_open=True)
    _campaign_message(customer, 3, channel="line", clicked=True)  # LINE: sms_sent with channel line
    _campaign_message(customer, 4, channel="sms")
    event_record(customer=customer, kind=EventKind.EMAIL_SENT, subject="journey:7:welcome-1",
                 data={"journey": 7, "channel": "email"})
    event_record(customer=customer, kind=EventKind.EMAIL_OPENED, subject="journey:7:welcome-1",
                 data={"journey": 7, "channel": "email"})
    event_record(customer=customer, kind=EventKind.EMAIL_SENT, subject="order:W0001", data={"template": "placed"})
    event_record(customer=customer, kind=EventKind.ORDER_PLACED, subject="order:W0001")  # not a message


def test_engagement_counts_messages_per_channel_and_type(customer):
    _engagement_world(customer)
    engagement = customer_engagement(customer=customer)
    channels = {row.key: (row.figures.sent, row.figures.opened, row.figures.clicked) for row in engagement.channels}
    assert channels == {"email": (4, 2, 1), "sms": (1, 0, 0), "line": (1, 1, 1)}
    types = {row.key: (row.figures.sent, row.figures.opened, row.figures.clicked) for row in engagement.types}
    assert types == {"campaign": (4, 2, 2), "journey": (1, 1, 0), "transactional": (1, 0, 0)}
    email = next(row for row in engagement.channels if row.key == "email").figures
    assert email.open_rate == 0.5 and email.click_rate == 0.25
    assert (engagement.total.sent, engagement.total.opened, engagement.total.clicked) == (6, 3, 2)
    assert engagement.total.last_engaged is not None


def test_a_machine_open_is_not_an_open(customer):
    _campaign_message(customer, 2, machine_open=True)
    assert customer_engagement(customer=customer).total.opened == 0


def test_engagement_is_one_query_however_many_events(customer):
    _engagement_world(customer)
    with CaptureQueriesContext(connection) as few:
        customer_engagement(customer=customer)
    for campaign in range(10, 40):
        _campaign_message(customer, campaign, opened=True, clicked=campaign % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        engagement = customer_engagement(customer=customer)
    assert len(few) == len(many) == 1
    assert engagement.total.sent == 36


def test_the_360_page_shows_the_engagement_card(client, staff, customer):
    _engagement_world(customer)
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    url = reverse("console:customer_detail", args=[customer.pk])
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        html = client.get(url).content.decode()
    assert 'id="engagement"' in html and "Open rate" in html and "50.0%" in html and "Journeys" in html
    for campaign in range(10, 25):
        _campaign_message(customer, campaign, opened=True)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_360_page_says_when_nothing_was_sent(client, staff, customer):
    client.force_login(staff["store_staff"])
    client.cookies["django_language"] = "ja"
    html = client.get(reverse("console:customer_detail", args=[customer.pk])).content.decode()
    assert 'id="engagement"' in html and "エンゲージメント" in html


def test_engagement_over_the_api(staff, customer):
    _engagement_world(customer)
    api = APIClient()
    api.force_authenticate(staff["hq_marketer"])
    body = api.get(f"/api/v1/customers/{customer.pk}/engagement/").json()
    assert body["customer"] == customer.pk and body["total"]["sent"] == 6
    assert {row["key"] for row in body["types"]} == {"campaign", "journey", "transactional"}
    email = next(row for row in body["channels"] if row["key"] == "email")
    assert email["figures"]["open_rate"] == 0.5
    assert api.get("/api/v1/customers/999999/engagement/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/v1/customers/{customer.pk}/engagement/").status_code in (401, 403)
