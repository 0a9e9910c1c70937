"""Every absolute link in a customer email points at SITE_URL, port included (issue 6: the links
ignored the port ``./dev up`` served on)."""

import re

import pytest
from django.core import mail

from brandkit import services as brandkit
from kernel.site import absolute_url
from orders import services
from orders.services import ContactIn, FulfillmentIn, LineIn
from orders.tasks import order_email_send

pytestmark = pytest.mark.django_db

URL = re.compile(r"""https?://[^\s"'<>)]+""")


def test_absolute_url_puts_site_url_before_a_path_and_keeps_absolute_urls(settings):
    settings.SITE_URL = "http://localhost:8765/"

    assert absolute_url("/account/orders/W1/") == "http://localhost:8765/account/orders/W1/"
    assert absolute_url("media/logo.png") == "http://localhost:8765/media/logo.png"
    assert absolute_url("https://cdn.example.jp/a.png") == "https://cdn.example.jp/a.png"
    assert absolute_url("") == ""


@pytest.mark.parametrize("kind", ["confirmation", "ready"])
def test_every_link_in_an_order_email_uses_the_site_url_with_its_port(shop, settings, kind):
    settings.SITE_URL = "http://localhost:8765"
    brandkit.brandkit_seed_default()
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"),
                                 contact=ContactIn(email="hanako@example.jp", name="山田 花子"))
    if kind == "ready":
        services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    mail.outbox.clear()
    assert order_email_send(order.pk, kind) is True
    [message] = mail.outbox
    html = next(body for body, mime in message.alternatives if mime == "text/html")

    order_link = f"http://localhost:8765/account/orders/{order.number}/"
    assert f'href="{order_link}"' in html and order_link in message.body
    links = URL.findall(html) + URL.findall(message.body)
    assert links and all(link.startswith("http://localhost:8765/") for link in links), links
