import io

import pytest
from django.core import mail
from PIL import Image

from brandkit import demo_kit, services
from brandkit import theme as brand_theme
from orders import services as orders
from orders.services import ContactIn, FulfillmentIn, LineIn
from orders.tasks import order_email_send


@pytest.fixture
def ready_order(shop):
    kit = services.brandkit_seed_default()
    order = orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                               contact=ContactIn(email="taro@example.jp", name="山田太郎"))
    orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    mail.outbox.clear()
    return kit, order


def html_of(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_ready_email_carries_the_kits_colour_name_and_legal_footer(ready_order):
    _kit, order = ready_order
    assert order_email_send(order.pk, "ready") is True
    html = html_of(mail.outbox[-1])
    assert "background:#1F4E79" in html  # the kit's primary colour in the header
    assert "ミナト商店" in html
    assert demo_kit.DEFAULT_IDENTITY["legal_footer"] in html
    assert "Meiryo" in html and "sans-serif" in html  # web-safe fallbacks after the kit's font


def test_ready_email_follows_a_newly_published_kit_with_logo_and_email_template(ready_order, settings):
    kit, order = ready_order
    settings.SITE_URL = "https://shop.example.jp"
    draft = services.draft_get_or_create(kit=kit)
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "primary": "#0A3D62"})
    templates = {**draft.channel_templates, "email": {"header": "いつもありがとうございます", "footer": "お問い合わせは店舗まで"}}
    services.draft_update(version=draft, channel_templates=templates)
    upload = io.BytesIO()
    Image.new("RGBA", (240, 80), (10, 61, 98, 255)).save(upload, "PNG")
    upload.seek(0)
    upload.name = "mark.png"
    services.logo_add(version=draft, upload=upload, name="mark")
    services.version_publish(version=draft)

    order_email_send(order.pk, "ready")
    html = html_of(mail.outbox[-1])
    assert "background:#0A3D62" in html and "background:#1F4E79" not in html
    assert "いつもありがとうございます" in html and "お問い合わせは店舗まで" in html
    assert 'src="https://shop.example.jp/media/' in html and '/full.png"' in html


def test_theme_logo_url_for_email_is_the_png_rendition_made_absolute(settings):
    settings.SITE_URL = "https://shop.example.jp/"
    theme = brand_theme.Theme(logo_png_url="/media/brandkit/logos/x/full.png")
    assert theme.logo_absolute_url == "https://shop.example.jp/media/brandkit/logos/x/full.png"
    assert brand_theme.Theme().logo_absolute_url == ""
