"""Customer emails other than the confirmation (see test_confirmation_invoice.py): the "ready for
pickup" email is a brand-styled HTML email with a plain-text twin. Customer-entered text is
escaped in the HTML part and shown literally in the text part and the subject."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone

from brandkit import services as brandkit
from brandkit.theme import theme
from kernel.models import Location
from orders import services
from orders.services import ContactIn, FulfillmentIn, LineIn
from orders.tasks import order_email_send

pytestmark = pytest.mark.django_db

AWKWARD_NAME = "O'Neil & Sons <b>"


@pytest.fixture
def ready_email(shop, settings):
    """Send the ready email of a pickup order at 渋谷店 and return a function that does it for a name."""
    settings.LANGUAGE_CODE = "en"
    settings.SITE_URL = "https://shop.example.jp"
    brandkit.brandkit_seed_default()
    Location.objects.filter(pk=shop.store_a.pk).update(postal_code="150-0042", address="渋谷区宇田川町12-3",
                                                       opening_hours="10:00–21:00")

    def send(name: str = "山田 花子"):
        order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1), LineIn("LS-L", 2)],
                                     fulfillment=FulfillmentIn("pickup", "shibuya"),
                                     contact=ContactIn(email="hanako@example.jp", name=name))
        fulfillment = services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
        mail.outbox.clear()
        assert order_email_send(order.pk, "ready") is True
        [message] = mail.outbox
        return order, fulfillment, message

    return send


def html_of(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_ready_email_html_is_a_brand_layout_with_the_code_store_items_and_account_link(ready_email):
    order, fulfillment, message = ready_email()
    html = html_of(message)

    assert "<pre" not in html
    assert "background:#1F4E79" in html  # the kit's primary colour: the brand email base is used
    assert "<h1" in html and "Your order is ready for pickup" in html
    assert "山田 花子" in html
    assert f">{fulfillment.pickup_code}</div>" in html and 'class="pickup-code"' in html
    assert "渋谷店" in html and "〒150-0042 東京都渋谷区宇田川町12-3" in html
    assert "10:00–21:00" in html and 'href="tel:03-1234-5678"' in html
    assert "リネンシャツ S" in html and "リネンシャツ L" in html
    assert f'href="https://shop.example.jp/account/orders/{order.number}/"' in html
    assert brandkit.DEFAULT_IDENTITY["legal_footer"] in html


def test_ready_email_text_part_carries_the_same_pickup_details(ready_email):
    order, fulfillment, message = ready_email()

    assert f"Pickup code: {fulfillment.pickup_code}" in message.body
    assert "〒150-0042 東京都渋谷区宇田川町12-3" in message.body
    assert "Opening hours: 10:00–21:00" in message.body and "Phone: 03-1234-5678" in message.body
    assert "- リネンシャツ L × 2" in message.body
    assert f"https://shop.example.jp/account/orders/{order.number}/" in message.body


def test_customer_name_is_literal_in_the_text_part_and_escaped_in_the_html_part(ready_email):
    _order, _fulfillment, message = ready_email(AWKWARD_NAME)
    html = html_of(message)

    assert f"Dear {AWKWARD_NAME}," in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body and "&lt;" not in message.body
    assert "O&#x27;Neil &amp; Sons &lt;b&gt;" in html
    assert AWKWARD_NAME not in html and "<b>" not in html


def test_subject_shows_the_brand_name_literally(ready_email):
    kit = brandkit.brandkit_seed_default()
    draft = brandkit.draft_get_or_create(kit=kit)
    brandkit.draft_update(version=draft, identity={**brandkit.DEFAULT_IDENTITY, "brand_name": "Minato & Co."})
    brandkit.version_publish(version=draft)
    order, _fulfillment, message = ready_email()

    assert message.subject == f"[Minato & Co.] Your order {order.number} is ready for pickup"


def test_ready_templates_show_the_hold_until_date_when_given_one(ready_email):
    order, fulfillment, _message = ready_email()
    hold_until = datetime(2025, 4, 8, 15, 0, tzinfo=timezone.get_default_timezone())
    context = {"order": order, "fulfillment": fulfillment, "lines": list(order.lines.all()), "brand": theme(),
               "order_url": "https://shop.example.jp" + order.get_absolute_url(), "hold_until": hold_until}

    with timezone.override(timezone.get_default_timezone()):
        text = render_to_string("orders/email/ready.txt", context)
        html = render_to_string("orders/email/ready.html", context)
    assert "Hold until: 2025/04/08 (Tue) 15:00" in text
    assert "2025/04/08 (Tue) 15:00" in html and 'class="hold-until"' in html


def test_ready_email_states_until_when_the_order_is_held(ready_email, settings):
    _order, fulfillment, message = ready_email()
    fulfillment.refresh_from_db()
    with timezone.override(timezone.get_default_timezone()):
        hold_until = timezone.localtime(fulfillment.ready_at + timedelta(days=settings.PICKUP_HOLD_DAYS))

    assert f"Hold until: {hold_until:%Y/%m/%d}" in message.body
