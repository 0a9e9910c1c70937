"""A/B tests of campaigns: a deterministic split, exactly one variant per customer and the
winner only to the rest (sent through the real engine to a loopback SMTP server), the
significance numbers against hand-computed values, the verdict in plain words, and a test with
one variant refused at save with the step named, in the console and the API."""

import math
from datetime import timedelta
from statistics import NormalDist

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from campaigns import abtests, sending, services
from campaigns.errors import CampaignInvalid
from campaigns.models import CampaignRecipient, CampaignStatus, RecipientStatus
from campaigns.models_abtest import ABMetric, ABStatus, ABTest
from customers.consent import consent_grant
from customers.services import customer_create
from kernel.models import Delivery
from tests.campaigns.smtp import SmtpServer
from tests.campaigns.test_sending import daytime
from tests.campaigns.world import approved, build_world, write_campaign

SUBJECT_A = "秋の新作のご案内"
SUBJECT_B = "【3日間限定】秋の新作が入荷しました"


def two_variants(**overrides):
    return [abtests.VariantIn(label="A", copy={}),
            abtests.VariantIn(label="B", copy={"email/ja": {"subject": SUBJECT_B, **overrides}})]


# --- the split ----------------------------------------------------------------------------------

def test_the_split_is_the_same_on_a_rerun_and_even_at_ten_thousand_customers():
    ids = range(1, 10_001)
    first = [abtests.split_of(7, pk, share=20, variants=2) for pk in ids]
    again = [abtests.split_of(7, pk, share=20, variants=2) for pk in ids]
    assert first == again
    in_test = [v for v in first if v is not None]
    # 20 % of 10,000 = 2,000 (binomial sd 40); each variant 1,000 (sd about 30): within 4 sd
    assert abs(len(in_test) - 2_000) <= 160
    assert abs(in_test.count(0) - 1_000) <= 120 and abs(in_test.count(1) - 1_000) <= 120
    four = [abtests.split_of(7, pk, share=40, variants=4) for pk in ids]
    for index in range(4):
        assert abs(four.count(index) - 1_000) <= 120
    other_campaign = [abtests.split_of(8, pk, share=20, variants=2) for pk in ids]
    assert other_campaign != first  # not the same customers in every campaign's test


# --- significance, by hand ----------------------------------------------------------------------

def test_the_two_proportion_test_matches_the_hand_computed_value():
    # A 100/1000, B 130/1000: pooled 0.115, se = sqrt(0.115 · 0.885 · 2/1000) = 0.014267,
    # z = 0.03 / 0.014267 = 2.1028, two-sided p = 2 · (1 − Φ(2.1028)) = 0.0355
    p = abtests.two_proportion_p(130, 1000, 100, 1000)
    assert p == pytest.approx(0.0355, abs=5e-4)
    assert p == pytest.approx(2 * (1 - NormalDist().cdf(0.03 / math.sqrt(0.115 * 0.885 * 0.002))), rel=1e-9)
    assert abtests.two_proportion_p(50, 1000, 50, 1000) == 1.0
    assert abtests.two_proportion_p(0, 10, 0, 10) == 1.0


def test_welchs_t_test_matches_the_textbook_example_and_the_t_distribution():
    # Welch (1947) as worked on Wikipedia's "Welch's t-test", example 1: t = −2.46, ν ≈ 25.0, p = 0.021
    a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]

    def mean_var(xs):
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    (m1, v1), (m2, v2) = mean_var(a1), mean_var(a2)
    assert abtests.welch_p(m1, v1, 15, m2, v2, 15) == pytest.approx(0.021, abs=1e-3)
    # the t distribution itself: one degree of freedom is Cauchy, P(|T| > 1) = 1/2 exactly
    assert abtests.regularized_beta(1 / 2, 1 / 2, 1 / 2) == pytest.approx(0.5, abs=1e-12)
    # ν = 2: P(|T| > t) = 1 − t / sqrt(2 + t²); at t = 2, 1 − 2/sqrt(6) = 0.183503
    assert abtests.regularized_beta(2 / (2 + 4), 1, 1 / 2) == pytest.approx(1 - 2 / math.sqrt(6), abs=1e-9)


def test_the_verdict_is_said_in_plain_words_in_english_and_japanese():
    a = abtests.VariantFigures(label="A", variant_id=1, delivered=1000, clicked=100)
    b = abtests.VariantFigures(label="B", variant_id=2, delivered=1000, clicked=130)
    verdict = abtests.verdict_of([a, b], ABMetric.CLICK_RATE)
    assert (verdict.leader, verdict.runner_up, verdict.significant) == ("B", "A", True)
    with translation.override("en"):
        assert verdict.sentence() == "B's click rate is higher; the chance this is luck is 4 %."
    with translation.override("ja"):
        assert verdict.sentence() == "B のクリック率が高く、偶然である確率は 4 % です。"
    # 105 against 100 of 1,000: z = 0.005 / sqrt(0.1025 · 0.8975 · 0.002) = 0.3686, p = 0.712
    close = abtests.verdict_of([a, abtests.VariantFigures(label="B", variant_id=2, delivered=1000, clicked=105)],
                               ABMetric.CLICK_RATE)
    with translation.override("en"):
        assert close.sentence() == ("B's click rate is higher than A's, but the chance this is luck is 71 %: "
                                    "too high to call it a real difference.")
    nothing = abtests.verdict_of([abtests.VariantFigures(label="A", variant_id=1)], ABMetric.OPEN_RATE)
    with translation.override("en"):
        assert nothing.sentence() == "Too few results yet to compare the variants by open rate."


def test_revenue_per_recipient_is_compared_with_welchs_test():
    a = abtests.VariantFigures(label="A", variant_id=1, delivered=4, converted=1, revenue=1000,
                               revenue_squares=1000 ** 2)
    b = abtests.VariantFigures(label="B", variant_id=2, delivered=4, converted=2, revenue=6000,
                               revenue_squares=3000 ** 2 * 2)
    verdict = abtests.verdict_of([a, b], ABMetric.REVENUE)
    assert verdict.leader == "B"
    # B: mean 1500, var (2·3000² − 4·1500²)/3 = 3,000,000; A: mean 250, var (1000² − 4·250²)/3 = 250,000
    expected = abtests.welch_p(1500, 3_000_000, 4, 250, 250_000, 4)
    assert verdict.p_value == pytest.approx(expected) and 0.05 < verdict.p_value < 1


# --- saving -------------------------------------------------------------------------------------

@pytest.fixture
def world(db):
    return build_world()


def test_a_test_with_one_variant_is_refused_at_save_with_the_step_named(world):
    campaign = write_campaign(world)
    with pytest.raises(CampaignInvalid) as refused, translation.override("en"):
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=two_variants()[:1])
    assert "variants" in refused.value.errors
    assert refused.value.errors["variants"][0].startswith("Variants: an A/B test needs at least two variants")
    assert not ABTest.objects.filter(campaign=campaign).exists()


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_two_variants_that_say_the_same_or_break_a_template_are_refused_naming_the_variant(world, english):
    campaign = write_campaign(world)
    same = [abtests.VariantIn(label="A", copy={}), abtests.VariantIn(label="B", copy={})]
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=same)
    assert "Variant B" in refused.value.errors["variant_B"][0]
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=two_variants(body="{{ nickname }}"))
    assert "Variant B" in refused.value.errors["variant_B"][0] and "nickname" in refused.value.errors["variant_B"][0]
    with pytest.raises(CampaignInvalid) as refused:
        abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=[
            abtests.VariantIn(label="A", copy={}), abtests.VariantIn(label="B", copy={"sms/ja": {"body": "x"}})])
    assert "sms/ja" in refused.value.errors["variant_B"][0]


# --- sending: exactly one variant each, the winner only to the rest -----------------------------

@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5}}}
        yield server.inbox


def crowd(world, n: int = 40):
    for i in range(n):
        customer = customer_create(email=f"fan{i}@example.jp", family_name="顧客", given_name=f"{i}番",
                                   prefecture="13", language="ja")
        consent_grant(customer=customer, channel="email", source="storefront")


def started_test(world, *, share=50, decide_after_hours=None):
    crowd(world)
    campaign = write_campaign(world)
    abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=two_variants(), test_share=share,
                        metric=ABMetric.CLICK_RATE, decide_after_hours=decide_after_hours)
    approved(world, campaign)
    services.campaign_start(campaign=campaign, acting_user=world.approver)  # tasks run inline in tests
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db(transaction=True)
def test_each_customer_gets_one_variant_and_the_winner_goes_only_to_the_rest(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign = started_test(world)
    ab = ABTest.objects.get(campaign=campaign)
    assert ab.status == ABStatus.TESTING and campaign.status == CampaignStatus.SENDING  # the rest waits
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    test_rows = {r.customer_id: r for r in rows if r.variant_id}
    reserved = {r.customer_id for r in rows if r.status == RecipientStatus.RESERVED}
    assert test_rows and reserved and not set(test_rows) & reserved
    # the split is the hash's: the same customers in the same variants
    labels = {v.pk: v.label for v in ab.variants.all()}
    for customer_id, row in test_rows.items():
        assert labels[row.variant_id] == "AB"[abtests.split_of(campaign.pk, customer_id, share=50, variants=2)]
    assert abtests.abtest_split(campaign) == {}  # running the fan-out's split again changes nothing
    progress = sending.campaign_progress(campaign)
    assert progress["reserved"] == len(reserved) and progress["done"] == progress["total"] - len(reserved)
    # each test recipient's email carries their variant's subject
    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp.messages}
    sent_test = [r for r in test_rows.values() if r.status == RecipientStatus.SENT]
    assert sent_test and len(smtp.messages) == len(sent_test)
    for row in sent_test:
        assert subjects[row.address] == (SUBJECT_A if labels[row.variant_id] == "A" else SUBJECT_B)
    # B wins on clicks
    b_rows = [r.pk for r in sent_test if labels[r.variant_id] == "B"]
    CampaignRecipient.objects.filter(pk__in=b_rows).update(clicked_at=timezone.now())
    results = abtests.abtest_results(campaign)
    assert results.verdict.leader == "B"
    abtests.abtest_send_winner(campaign=campaign, acting_user=world.approver)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
    to = [str(m["To"]) for m in smtp.messages]
    assert len(to) == len(set(to))  # nobody got two messages
    rest = CampaignRecipient.objects.filter(campaign=campaign, customer_id__in=reserved)
    assert not rest.filter(status__in=(RecipientStatus.PENDING, RecipientStatus.RESERVED)).exists()
    rest_sent = rest.filter(status=RecipientStatus.SENT)
    assert rest_sent.exists() and not rest_sent.filter(variant__isnull=False).exists()
    assert len(to) == len(sent_test) + rest_sent.count()
    for row in rest_sent:
        assert {str(m["Subject"]) for m in smtp.to(row.address)} == {SUBJECT_B}
    # each variant is its own message in the ledger; the rest's is the campaign's
    keys = set(Delivery.objects.filter(channel="email").values_list("message_key", flat=True))
    assert keys == {f"campaign:{campaign.pk}:ab{pk}" for pk in labels} | {f"campaign:{campaign.pk}"}
    # a batch run again sends nothing twice
    for first, last in [(r.pk, r.pk) for r in rows]:
        sending.campaign_send_batch(campaign.pk, first, last)
    assert len(smtp.messages) == len(to)


@pytest.mark.django_db(transaction=True)
def test_the_clock_sends_the_winner_at_the_decision_time(world, smtp, monkeypatch):
    now = daytime(monkeypatch)
    campaign = started_test(world, decide_after_hours=4)
    sent = len(smtp.messages)
    monkeypatch.setattr(sending.timezone, "now", lambda: now + timedelta(hours=3))
    monkeypatch.setattr(abtests.timezone, "now", lambda: now + timedelta(hours=3))
    assert sending.campaigns_tick()["ab_winners"] == 0
    monkeypatch.setattr(sending.timezone, "now", lambda: now + timedelta(hours=4, minutes=1))
    monkeypatch.setattr(abtests.timezone, "now", lambda: now + timedelta(hours=4, minutes=1))
    assert sending.campaigns_tick()["ab_winners"] == 1
    ab = ABTest.objects.get(campaign=campaign)
    assert ab.status == ABStatus.WINNER_SENT and ab.decided_by is None and ab.winner is not None
    assert len(smtp.messages) > sent
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_test_skips_the_rest_that_waited(world, smtp, monkeypatch):
    daytime(monkeypatch)
    campaign = started_test(world)
    services.campaign_cancel(campaign=campaign, acting_user=world.approver)
    assert not CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.RESERVED).exists()
    assert ABTest.objects.get(campaign=campaign).status == ABStatus.CANCELLED


# --- the console and the API --------------------------------------------------------------------

def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_variant_editor_refuses_one_variant_and_saves_two(world, client, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = write_campaign(world)
    client.force_login(world.author)
    page = client.get(campaign.get_absolute_url())
    assert page.status_code == 200 and 'id="abtest"' in page.content.decode()
    url = reverse("console:campaign_abtest", args=[campaign.pk])
    form = {"ab-test_share": "20", "ab-metric": "click_rate", "ab-decide_after_hours": "", "ab-use_A": "on"}
    response = client.post(url, form, headers={"HX-Request": "true"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "an A/B test needs at least two variants" in response.content.decode()
    assert not ABTest.objects.filter(campaign=campaign).exists()
    form |= {"ab-use_B": "on", "ab-vB_email_ja_subject": SUBJECT_B}
    response = client.post(url, form, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == campaign.get_absolute_url()
    ab = ABTest.objects.get(campaign=campaign)
    assert [(v.label, v.copy) for v in ab.variants.all()] == [("A", {}), ("B", {"email/ja": {"subject": SUBJECT_B}})]


def test_the_api_defines_a_test_refuses_one_variant_and_reports_results(world, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = write_campaign(world)
    client = api(world.author)
    url = f"/api/v1/campaigns/{campaign.pk}/ab-test/"
    refused = client.put(url, {"test_share": 20, "metric": "click_rate", "variants": [{"label": "A"}]},
                         format="json")
    assert refused.status_code == 400 and "variants" in refused.json()["errors"]
    saved = client.put(url, {"test_share": 30, "metric": "open_rate", "decide_after_hours": 12, "variants": [
        {"label": "A", "copy": {}}, {"label": "B", "copy": {"email/ja": {"subject": SUBJECT_B}}}]}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["test_share"] == 30 and [v["label"] for v in saved.json()["variants"]] == ["A", "B"]
    results = client.get(url + "results/")
    assert results.status_code == 200
    body = results.json()
    assert [v["label"] for v in body["variants"]] == ["A", "B"] and body["p_value"] is None
    assert body["sentences"]["ja"] and body["sentence"] == "Too few results yet to compare the variants by open rate."
    refused = api(world.approver).post(url + "winner/", {}, format="json")
    assert refused.status_code == 409 and "only while the test is running" in refused.json()["detail"]


def test_the_results_cost_the_same_queries_for_two_or_four_variants(world, django_assert_num_queries):
    campaign = write_campaign(world)
    abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=two_variants())
    with django_assert_num_queries(4):
        abtests.abtest_results(campaign)
    abtests.abtest_save(campaign=campaign, acting_user=world.author, variants=two_variants() + [
        abtests.VariantIn(label="C", copy={"email/ja": {"subject": "C 件名"}}),
        abtests.VariantIn(label="D", copy={"email/ja": {"subject": "D 件名"}})])
    with django_assert_num_queries(4):
        abtests.abtest_results(campaign)
