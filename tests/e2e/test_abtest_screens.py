"""The A/B test card in real Chromium, Japanese and English, phone and desktop: the variant
editor refuses one variant in place (htmx, no page load) and saves two, then a third that goes by
SMS; a running test shows each variant's figures side by side (the SMS variant's customers without
an SMS opt-in counted apart) with the verdict in words and the button that sends the winner."""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import abtests, services
from campaigns.models import CampaignRecipient
from campaigns.models_abtest import ABMetric, ABTest
from customers.consent import consent_grant
from customers.services import customer_create
from tests.campaigns.loopback_http import Answer, LoopbackHttp
from tests.campaigns.world import approved, build_world, write_campaign
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot

TEXT = {
    "ja": {"save": "A/B テストを保存", "one": "比べるパターンが 2 つ以上必要です", "verdict": "偶然である確率は",
           "winner": "勝者を残りに配信", "no_sms_text": "SMS 用の文面がありません", "skipped": "未送信：同意なし"},
    "en": {"save": "Save the A/B test", "one": "needs at least two variants", "verdict": "the chance this is luck",
           "winner": "Send the winner to the rest", "no_sms_text": "has no SMS text", "skipped": "Skipped: no opt-in"},
}
SMS_TEXT = "{{ name }}様 秋の新作が入荷しました。SMS 限定のご案内です。"


@pytest.fixture
def ab_world(transactional_db):
    world = build_world()
    for i in range(60):
        customer = customer_create(email=f"fan{i}@example.jp", family_name="顧客", given_name=f"{i}番",
                                   prefecture="13", language="ja", phone=f"090-0000-{i:04d}")
        consent_grant(customer=customer, channel="email", source="storefront")
        if i % 2:
            consent_grant(customer=customer, channel="sms", source="storefront")
    return world


@pytest.fixture
def sms_gateway(settings):
    with LoopbackHttp() as server:
        server.default = Answer(200, {"id": "sms"})
        settings.CAMPAIGN_PROVIDERS = {"sms": {"class": "campaigns.providers_http.HttpSmsProvider",
                                               "url": server.url, "token": "t", "sender": "MINATO"}}
        yield server


def running_test(world):
    campaign = write_campaign(world, name="秋の新作 A/B", quiet_start=None, quiet_end=None)
    abtests.abtest_save(campaign=campaign, acting_user=world.author, test_share=60, metric=ABMetric.CLICK_RATE,
                        variants=[abtests.VariantIn(label="A", copy={}), abtests.VariantIn(
                            label="B", copy={"email/ja": {"subject": "【3日間限定】秋の新作が入荷しました"}}),
                        abtests.VariantIn(label="C", copy={"sms/ja": {"body": SMS_TEXT}}, channel="sms")])
    approved(world, campaign)
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    ab = ABTest.objects.get(campaign=campaign)
    b = ab.variants.get(label="B")
    a = ab.variants.get(label="A")
    b_rows = list(CampaignRecipient.objects.filter(campaign=campaign, variant=b).values_list("pk", flat=True))
    a_rows = list(CampaignRecipient.objects.filter(campaign=campaign, variant=a).values_list("pk", flat=True))
    CampaignRecipient.objects.filter(pk__in=b_rows[: len(b_rows) * 2 // 3]).update(clicked_at=timezone.now())
    CampaignRecipient.objects.filter(pk__in=a_rows[:2]).update(clicked_at=timezone.now())
    return campaign


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_ab_card_edits_variants_and_shows_the_verdict(page, ab_world, login_as, live_server, viewport,
                                                          language, sms_gateway):
    text = TEXT[language]
    suffix = f"{language}-{'phone' if viewport == PHONE else 'desktop'}"
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    login_as(ab_world.author)
    draft = write_campaign(ab_world, name=f"冬のセール {suffix}")
    page.goto(draft.get_absolute_url())
    card = page.locator("#abtest")
    card.locator("input[name=ab-use_B]").uncheck()
    card.get_by_role("button", name=text["save"]).click()
    expect(card.get_by_role("alert")).to_contain_text(text["one"])
    card = page.locator("#abtest")
    card.scroll_into_view_if_needed()
    screenshot(page, f"abtest-refused-{suffix}")
    card.locator("input[name=ab-use_B]").check()
    card.locator("input[name=ab-vB_email_ja_subject]").fill("【本日限定】冬のセール 20% オフ")
    with page.expect_navigation():  # saved: htmx reloads the page (HX-Redirect)
        card.get_by_role("button", name=text["save"]).click()
    expect(page.locator("#abtest input[name=ab-vB_email_ja_subject]")).to_have_value("【本日限定】冬のセール 20% オフ")
    assert ABTest.objects.get(campaign=draft).variants.count() == 2
    card = page.locator("#abtest")
    card.locator("input[name=ab-use_C]").check()
    card.locator("select[name=ab-vC_channel]").select_option("sms")
    card.get_by_role("button", name=text["save"]).click()  # no SMS text yet: refused in place
    expect(card.locator(".field-invalid")).to_contain_text(text["no_sms_text"])
    card = page.locator("#abtest")
    card.locator("textarea[name=ab-vC_via_ja_body]").fill(SMS_TEXT)
    with page.expect_navigation():
        card.get_by_role("button", name=text["save"]).click()
    assert [(v.label, v.channel) for v in ABTest.objects.get(campaign=draft).variants.all()] == [
        ("A", ""), ("B", ""), ("C", "sms")]
    expect(page.locator("#abtest select[name=ab-vC_channel]")).to_have_value("sms")
    page.locator("fieldset.abtest-variant").nth(2).scroll_into_view_if_needed()
    screenshot(page, f"abtest-editor-{suffix}")
    campaign = running_test(ab_world)
    page.goto(campaign.get_absolute_url())
    expect(page.locator(".abtest-verdict")).to_contain_text(text["verdict"])
    expect(page.locator("#abtest")).to_contain_text(text["winner"])
    expect(page.locator("#abtest .abtest-results")).to_contain_text(text["skipped"])
    assert sms_gateway.requests  # variant C went by SMS to those who opted in to it
    page.locator("#abtest").scroll_into_view_if_needed()
    screenshot(page, f"abtest-results-{suffix}")
    assert_no_problems(page)
