"""A batch renders the brand's email layout once per message and shape and puts each
recipient's values in (campaigns.sending.EmailLayouts): the email must be exactly the one the
template engine renders for that recipient, escaping included."""

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.personalisation import merge_contexts
from campaigns.sending import EmailLayouts, render_message
from customers.services import customer_create

from .world import build_world, write_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def track(url: str) -> str:
    return f"https://shop.example.jp/c/t?u={url}&x=\"1\""


@pytest.mark.parametrize("preheader, cta", [("", ""), ("{{ name_honorific }}へ <特別> & ご案内", "/products/?a=1&b=2")])
@pytest.mark.parametrize("offer_code", ["", "AB<C>&D"])
@pytest.mark.parametrize("pixel_url", ["", "https://shop.example.jp/o/1.gif?a=1&b=\"2\""])
def test_the_email_from_the_batch_layout_is_the_email_the_template_renders(world, preheader, cta, offer_code,
                                                                            pixel_url):
    campaign = write_campaign(world, body="{{ name_honorific }}\n\n<script>alert(1)</script> & \"引用\" https://example.jp/?a=1&b=2")
    message = campaign.messages.get()
    services.message_set(campaign=campaign, channel="email", language="ja", acting_user=world.author,
                         subject="{{ name_honorific }}：秋の新作 <新入荷> & \"限定\"", body=message.body,
                         preheader=preheader, cta_label="新作を見る" if cta else "", cta_url=cta)
    message = campaign.messages.get()
    odd = customer_create(email="odd@example.jp", family_name="<b>山田</b>", given_name="&amp; \"花子\"",
                          prefecture="13")
    people = [*world.people.values(), odd]
    contexts = merge_contexts(customer_ids=[p.pk for p in people], recommendations=False, now=timezone.now())
    layouts = EmailLayouts()
    for person in people:
        kwargs = {"track": track, "pixel_url": pixel_url, "unsubscribe_url": f"https://shop.example.jp/u/{person.pk}?a=1&b=2",
                  "offer_code": offer_code}
        full = render_message(campaign, message, contexts[person.pk], **kwargs)
        fast = render_message(campaign, message, contexts[person.pk], layouts=layouts, **kwargs)
        assert fast == full
    assert len(layouts.layouts) == 1  # one layout for the shape, every recipient put in it
    assert "<b>山田</b>" not in full.html and "&lt;b&gt;山田&lt;/b&gt;" in full.html  # escaped as the template does
