"""A/B tests of the offer and of the channel (campaigns.abtests): a variant grants another of the
campaign's offers (its code in the message) or goes by SMS instead of email; the split decides
each customer's channel, consent to it is checked at send, the skipped are counted apart, and
the winner's offer and channel go to the rest."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from campaigns import abtests, offers, services
from campaigns.errors import CampaignInvalid
from campaigns.models import CampaignRecipient, CampaignStatus, RecipientStatus, SkipReason
from campaigns.models_abtest import ABMetric, ABTest
from customers.consent import consent_grant
from customers.services import customer_create
from tests.campaigns.loopback_http import Answer, LoopbackHttp
from tests.campaigns.smtp import SmtpServer
from tests.campaigns.test_sending import daytime
from tests.campaigns.world import EMAIL_BODY, approved, build_world, write_campaign

SMS_B = "秋の新作SMS限定のお知らせ"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def offer_for(world, campaign, *, name: str, code: str, **fields):
    offer = offers.offer_create(acting_user=world.author, name=name, kind="percent", value=10, campaign=campaign,
                                **fields)
    offers.code_create_shared(offer=offer, code=code, acting_user=world.author)
    return offer


def channel_variants(channel="sms", body=SMS_B):
    return [abtests.VariantIn(label="A", copy={}),
            abtests.VariantIn(label="B", copy={f"{channel}/ja": {"body": body}} if body else {}, channel=channel)]


# --- refused at save, with the step named -------------------------------------------------------

def test_an_offer_variant_with_an_ended_offer_is_refused_naming_the_variant(world, english):
    campaign = write_campaign(world)
    ended = offer_for(world, campaign, name="夏の 20%", code="SUMMER20")
    ended.__class__.objects.filter(pk=ended.pk).update(starts_at=timezone.now() - timedelta(days=30),
                                                       ends_at=timezone.now() - timedelta(days=1))
    variants = [abtests.VariantIn(label="A", copy={}), abtests.VariantIn(label="B", copy={}, offer_id=ended.pk)]
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=variants)
    assert refused.value.errors["variant_B"] == [
        "Variant B: the offer “夏の 20%” has ended or is switched off: choose a current offer."]
    other = write_campaign(world, name="別のキャンペーン")
    foreign = offer_for(world, other, name="他の 15%", code="OTHER15")
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=[
            abtests.VariantIn(label="A", copy={}), abtests.VariantIn(label="B", copy={}, offer_id=foreign.pk)])
    assert "is not this campaign's" in refused.value.errors["variant_B"][0]
    current = offer_for(world, campaign, name="秋の 20%", code="AUTUMN20")
    ab = abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=[
        abtests.VariantIn(label="A", copy={}), abtests.VariantIn(label="B", copy={}, offer_id=current.pk)])
    assert [(v.label, v.offer_id) for v in ab.variants.all()] == [("A", None), ("B", current.pk)]
    # the offer ends after the save: the campaign cannot go out with it (checked again at submit)
    current.__class__.objects.filter(pk=current.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    assert any("has ended" in problem for problem in abtests.abtest_problems(campaign))


def test_a_channel_variant_without_text_on_its_channel_is_refused_and_opens_are_not_compared(world, english):
    campaign = write_campaign(world)
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=channel_variants(body=""))
    assert refused.value.errors["variant_B"] == [
        "Variant B: it goes by SMS but has no SMS text for sms/ja: write the body it sends."]
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=channel_variants(),
                            metric=ABMetric.OPEN_RATE)
    assert "opens are not measured" in refused.value.errors["metric"][0]
    both = write_campaign(world, name="二つの経路", channels=("email", "sms"))
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=both, acting_user=world.author, variants=channel_variants("line"))
    assert "sent on one channel" in refused.value.errors["variant_B"][0]
    ab = abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=channel_variants())
    assert [(v.label, v.channel, v.copy) for v in ab.variants.all()] == [
        ("A", "", {}), ("B", "sms", {"sms/ja": {"body": SMS_B}})]


def test_a_fan_out_run_again_leaves_a_channel_variants_customers_one_row_each(world):
    from campaigns import sending

    crowd(20)
    campaign = write_campaign(world)
    abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=channel_variants(), test_share=60)
    approved(world, campaign)
    campaign.__class__.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    for _run in range(2):  # the fan-out's task lost after the split and run again
        sending.recipients_materialise(campaign)
        abtests.abtest_split(campaign)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).values_list("customer_id", "channel",
                                                                              "variant__label"))
    assert len({customer for customer, _channel, _label in rows}) == len(rows)
    moved = [row for row in rows if row[2] == "B"]
    assert moved and {channel for _customer, channel, _label in moved} == {"sms"}


# --- sending ------------------------------------------------------------------------------------

@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5}}}
        yield server.inbox


@pytest.fixture
def sms_gateway(settings):
    with LoopbackHttp() as server:
        server.default = Answer(200, {"id": "sms"})
        settings.CAMPAIGN_PROVIDERS = {"sms": {"class": "campaigns.providers_http.HttpSmsProvider",
                                               "url": server.url, "token": "t", "sender": "MINATO"}}
        yield server


def crowd(n: int = 40) -> dict[int, bool]:
    """Customers who opted in to email; every other one to SMS too. Returns {id: has SMS consent}."""
    found = {}
    for i in range(n):
        customer = customer_create(email=f"fan{i}@example.jp", family_name="顧客", given_name=f"{i}番",
                                   prefecture="13", language="ja", phone=f"090-0000-{i:04d}")
        consent_grant(customer=customer, channel="email", source="storefront")
        if i % 2 == 0:
            consent_grant(customer=customer, channel="sms", source="storefront")
        found[customer.pk] = i % 2 == 0
    return found


def start(world, campaign, variants, **options):
    abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=variants, test_share=50,
                        metric=ABMetric.CLICK_RATE, **options)
    approved(world, campaign)
    services.campaign_start(campaign=campaign, acting_user=world.approver)  # tasks run inline in tests
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db(transaction=True)
def test_a_channel_variant_goes_by_sms_and_skips_those_without_an_sms_opt_in(world, smtp, sms_gateway,
                                                                               monkeypatch):
    daytime(monkeypatch)
    sms_consent = crowd()
    campaign = start(world, write_campaign(world), channel_variants())
    ab = ABTest.objects.get(campaign=campaign)
    labels = {v.pk: v.label for v in ab.variants.all()}
    emailable = {c.pk for name, c in world.people.items() if name in ("hanako", "ken")} | set(sms_consent)
    sms_consent = {pk: sms_consent.get(pk, False) for pk in emailable | {c.pk for c in world.people.values()}}
    rows = list(CampaignRecipient.objects.filter(campaign=campaign))
    a_rows = [r for r in rows if r.variant_id and labels[r.variant_id] == "A"]
    b_rows = [r for r in rows if r.variant_id and labels[r.variant_id] == "B"]
    assert a_rows and b_rows
    # the split decided the channel: A by email, B by SMS; each customer one row
    assert {r.channel for r in a_rows} == {"email"} and {r.channel for r in b_rows} == {"sms"}
    assert len({r.customer_id for r in rows}) == len(rows)
    # consent for SMS checked at send: B's customers without it skipped with the reason
    for row in b_rows:
        if sms_consent[row.customer_id]:
            assert row.status == RecipientStatus.SENT, row.reason
        else:
            assert (row.status, row.reason) == (RecipientStatus.SKIPPED, SkipReason.NO_CONSENT)
    texts = [request.json["text"] for request in sms_gateway.requests]
    assert len(texts) == sum(1 for r in b_rows if sms_consent[r.customer_id])
    assert all(text.startswith("【ミナト商店】") and SMS_B in text and "/r/" in text for text in texts)
    emailed = set(CampaignRecipient.objects.filter(campaign=campaign, channel="email", status=RecipientStatus.SENT)
                  .values_list("variant__label", flat=True))
    assert emailed == {"A"} and len(smtp.messages) == CampaignRecipient.objects.filter(
        campaign=campaign, channel="email", status=RecipientStatus.SENT).count()
    # the results count each variant over its own reached recipients; the skipped apart
    results = {f.label: f for f in abtests.abtest_results(campaign).variants}
    skipped = sum(1 for r in b_rows if not sms_consent[r.customer_id])
    assert results["B"].no_consent == skipped and results["B"].skipped == skipped
    assert results["B"].delivered == len(b_rows) - skipped and results["B"].channel == "sms"
    a_reached = sum(1 for r in a_rows if r.customer_id in emailable)
    assert results["A"].no_consent == len(a_rows) - a_reached and results["A"].delivered == a_reached
    # B wins on clicks: the rest goes by SMS too, consent checked again
    reached_b = [r.pk for r in b_rows if sms_consent[r.customer_id]]
    CampaignRecipient.objects.filter(pk__in=reached_b).update(clicked_at=timezone.now())
    abtests.abtest_send_winner(campaign=campaign, acting_user=world.approver)
    rest = CampaignRecipient.objects.filter(campaign=campaign, variant__isnull=True)
    assert rest.exists() and set(rest.values_list("channel", flat=True)) == {"sms"}
    for row in rest:
        expected = RecipientStatus.SENT if sms_consent[row.customer_id] else RecipientStatus.SKIPPED
        assert row.status == expected
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.django_db(transaction=True)
def test_an_offer_variant_carries_its_own_offers_code(world, smtp, monkeypatch):
    daytime(monkeypatch)
    crowd(20)
    campaign = write_campaign(world, body=EMAIL_BODY + "\nクーポン {{ offer_code }}")
    offer_for(world, campaign, name="秋の 10%", code="AUTUMN10")
    richer = offer_for(world, campaign, name="秋の 20%", code="AUTUMN20")
    campaign = start(world, campaign, [abtests.VariantIn(label="A", copy={}),
                                       abtests.VariantIn(label="B", copy={}, offer_id=richer.pk)])
    ab = ABTest.objects.get(campaign=campaign)
    labels = {v.pk: v.label for v in ab.variants.all()}
    sent = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT, variant__isnull=False)
    assert {labels[r.variant_id] for r in sent} == {"A", "B"}
    for row in sent:
        (message,) = smtp.to(row.address)
        text = message.get_body(("plain",)).get_content()
        expected, other = ("AUTUMN20", "AUTUMN10") if labels[row.variant_id] == "B" else ("AUTUMN10", "AUTUMN20")
        assert expected in text and other not in text
    figures = {f.label: f for f in abtests.abtest_results(campaign).variants}
    assert figures["B"].offer == "秋の 20%" and figures["A"].offer == ""


# --- the console and the API --------------------------------------------------------------------

def test_the_editor_saves_a_channel_variant_and_an_offer_variant(world, client, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = write_campaign(world)
    richer = offer_for(world, campaign, name="秋の 20%", code="AUTUMN20")
    client.force_login(world.author)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'name="ab-vB_channel"' in page and 'name="ab-vB_offer"' in page and 'name="ab-vB_via_ja_body"' in page
    url = reverse("console:campaign_abtest", args=[campaign.pk])
    form = {"ab-test_share": "20", "ab-metric": "click_rate", "ab-decide_after_hours": "", "ab-use_A": "on",
            "ab-use_B": "on", "ab-vB_channel": "sms", "ab-vB_via_ja_body": "", "ab-use_C": "on",
            "ab-vC_offer": str(richer.pk)}
    refused = client.post(url, form, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "has no SMS text for sms/ja" in refused.content.decode()
    response = client.post(url, form | {"ab-vB_via_ja_body": SMS_B}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == campaign.get_absolute_url()
    ab = ABTest.objects.get(campaign=campaign)
    assert [(v.label, v.channel, v.offer_id, v.copy) for v in ab.variants.all()] == [
        ("A", "", None, {}), ("B", "sms", None, {"sms/ja": {"body": SMS_B}}), ("C", "", richer.pk, {})]


def test_the_api_takes_offer_and_channel_variants_and_refuses_an_ended_offer(world, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = write_campaign(world)
    richer = offer_for(world, campaign, name="秋の 20%", code="AUTUMN20")
    client = APIClient()
    client.force_authenticate(world.author)
    url = f"/api/v1/campaigns/{campaign.pk}/ab-test/"
    body = {"test_share": 20, "metric": "conversion_rate", "variants": [
        {"label": "A"}, {"label": "B", "channel": "sms", "copy": {"sms/ja": {"body": SMS_B}}},
        {"label": "C", "offer": richer.pk}]}
    saved = client.put(url, body, format="json")
    assert saved.status_code == 200, saved.json()
    assert [(v["label"], v["channel"], v["offer"]) for v in saved.json()["variants"]] == [
        ("A", "", None), ("B", "sms", None), ("C", "", richer.pk)]
    richer.__class__.objects.filter(pk=richer.pk).update(is_active=False)
    refused = client.put(url, body, format="json")
    assert refused.status_code == 400 and "has ended or is switched off" in refused.json()["errors"]["variant_C"][0]
    refused = client.put(url, {**body, "variants": [{"label": "A"}, {"label": "B", "channel": "line"}]}, format="json")
    assert refused.status_code == 400 and "has no LINE text" in refused.json()["errors"]["variant_B"][0]
    results = client.get(url + "results/").json()
    assert {"channel", "offer", "skipped", "no_consent"} <= set(results["variants"][0])
