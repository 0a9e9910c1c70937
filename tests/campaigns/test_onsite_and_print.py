"""The on-site banner a reached customer sees on the storefront, and the offline pieces a print run
makes (postcards per recipient, a POP sign, a social card and its post)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import print_runs, sending, services
from campaigns.models import CampaignRecipient, PrintRun, PrintStatus
from customers.consent import consent_grant, consent_withdraw
from customers.services import customer_sign_up
from tests.campaigns.world import approved, build_world, write_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path):
    settings.CAMPAIGN_PRINT_DIR = tmp_path / "print"
    return build_world()


def run(world, campaign):
    approved(world, campaign)
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    sending.campaign_fan_out(campaign.pk)  # its batches run inline in tests
    campaign.refresh_from_db()
    return campaign


ONSITE = {"channel": "onsite", "language": "ja", "subject": "冬のご愛顧感謝祭",
          "body": "{{ name_honorific }}、いつもありがとうございます。", "cta_label": "見る", "cta_url": "/products/"}


@pytest.fixture
def shopper(world, shop):
    """A signed-up customer in the campaign's audience (Tokyo) who lets the store personalise."""
    user, customer = customer_sign_up(email="aoi@example.jp", password="pass-Word-123", family_name="青井",
                                      given_name="葵", channel=shop.web, source="storefront-signup")
    customer.prefecture = "13"
    customer.save()
    consent_grant(customer=customer, channel="web", purpose="personalisation", source="storefront")
    return user, customer


def onsite_campaign(world):
    campaign = services.campaign_create(name="サイト内", acting_user=world.author, segments=[world.segment],
                                        quiet_start=None, quiet_end=None)
    services.message_set(campaign=campaign, acting_user=world.author, **ONSITE)
    return campaign


def test_a_reached_customer_sees_the_banner_on_the_home_and_product_pages(world, shop, shopper, client):
    user, customer = shopper
    campaign = run(world, onsite_campaign(world))
    client.force_login(user)
    for url in (reverse("storefront:home"), reverse("storefront:product", args=[shop.product.code])):
        page = client.get(url).content.decode()
        assert "青井 葵 様、いつもありがとうございます。" in page and 'class="onsite-banner' in page
    row = CampaignRecipient.objects.get(campaign=campaign, customer=customer)
    assert row.opened_at is not None  # the first showing counts as opened


def test_the_banner_goes_away_when_personalisation_is_withdrawn_or_the_campaign_ends(world, shop, shopper, client):
    user, customer = shopper
    campaign = run(world, onsite_campaign(world))
    client.force_login(user)
    consent_withdraw(customer=customer, channel="web", purpose="personalisation", source="storefront")
    assert 'class="onsite-banner' not in client.get(reverse("storefront:home")).content.decode()
    consent_grant(customer=customer, channel="web", purpose="personalisation", source="storefront")
    assert 'class="onsite-banner' in client.get(reverse("storefront:home")).content.decode()
    campaign.ends_at = timezone.now() - timedelta(minutes=1)
    campaign.save()
    assert 'class="onsite-banner' not in client.get(reverse("storefront:home")).content.decode()


def test_customers_outside_the_audience_and_guests_see_no_banner(world, shop, shopper, client,
                                                                 django_assert_num_queries):
    run(world, onsite_campaign(world))
    _user, customer = shopper
    outsider_user, _outsider = customer_sign_up(email="far@example.jp", password="pass-Word-123", family_name="遠野",
                                                channel=shop.web, source="storefront-signup")
    client.force_login(outsider_user)
    assert 'class="onsite-banner' not in client.get(reverse("storefront:home")).content.decode()
    client.logout()
    client.get(reverse("storefront:home"))
    from kernel.slots import slot_render

    class Guest:
        user = type("Anonymous", (), {"is_authenticated": False})()

    with django_assert_num_queries(0):
        assert slot_render("home", Guest()) == ""


def test_a_print_run_makes_a_postcard_per_reached_customer_with_their_code(world, django_capture_on_commit_callbacks):
    from campaigns import offers

    for name in ("hanako", "ken"):
        consent_grant(customer=world.people[name], channel="postal", source="pos")
    world.people["hanako"].postal_code, world.people["hanako"].address = "154-0004", "世田谷区太子堂2-1-1"
    world.people["hanako"].save()
    campaign = write_campaign(world, channels=())
    services.message_set(campaign=campaign, acting_user=world.author, channel="postcard", language="ja",
                         subject="冬のご愛顧感謝祭", body="{{ name_honorific }} いつもありがとうございます。",
                         cta_url="/products/")
    offer = offers.offer_create(acting_user=world.author, name="はがき特典", kind="percent", value=10,
                                campaign=campaign)
    offers.code_batch_fill(offers.codes_generate(offer=offer, count=3, acting_user=world.author).pk)
    campaign = run(world, campaign)
    sent = CampaignRecipient.objects.filter(campaign=campaign, channel="postcard", status="sent")
    assert [r.customer_id for r in sent] == [world.people["hanako"].pk]  # ken has no postal address
    with django_capture_on_commit_callbacks(execute=True):  # the job runs inline in tests
        made = print_runs.print_run_start(campaign=campaign, kind="postcards", acting_user=world.author)
    made.refresh_from_db()
    assert made.status == PrintStatus.DONE and (made.total, made.done) == (1, 1)
    pdf = print_runs.run_file(made, 0).read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(
        b"/Type /Page ") >= 1
    assert world.people["hanako"].pk in set(offer.codes.exclude(customer=None).values_list("customer_id", flat=True))


def test_pop_and_social_are_made_from_approved_copy_only(world, django_capture_on_commit_callbacks):
    campaign = write_campaign(world, channels=())
    services.message_set(campaign=campaign, acting_user=world.author, channel="pop", language="ja",
                         subject="週末限定", preheader="全品10%OFF", body="渋谷店だけの週末セール。")
    services.message_set(campaign=campaign, acting_user=world.author, channel="social", language="ja",
                         subject="週末は渋谷店へ", body="今週末は渋谷店限定セール。")
    from campaigns.errors import CampaignError

    with pytest.raises(CampaignError):
        print_runs.print_run_start(campaign=campaign, kind="pop", acting_user=world.author)
    approved(world, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        pop = print_runs.print_run_start(campaign=campaign, kind="pop", acting_user=world.author)
        social = print_runs.print_run_start(campaign=campaign, kind="social", acting_user=world.author)
    pop.refresh_from_db()
    social.refresh_from_db()
    assert pop.status == social.status == PrintStatus.DONE, (pop.error, social.error)
    assert print_runs.run_file(pop, 0).read_bytes().startswith(b"%PDF")
    from PIL import Image

    assert Image.open(io.BytesIO(print_runs.run_file(social, 0).read_bytes())).size == (1200, 630)
    assert "今週末は渋谷店限定セール。" in social.post_text and "/r/" in social.post_text
    assert PrintRun.objects.filter(campaign=campaign).count() == 2
