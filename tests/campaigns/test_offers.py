"""Offers: defining them, what they take off an order, every reason a code is refused, and what a
redemption records (usage, budget, the customer's timeline, the campaign's conversion)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import offers
from campaigns.models import Campaign, CampaignConversion, Offer, OfferCode, Redemption
from customers.models import CustomerEvent, EventKind
from customers.segments import segment_create
from customers.services import customer_create
from orders.discounts import DiscountRefused
from orders.services import FulfillmentIn, LineIn, order_place
from tests.campaigns.offers_world import context, line, make_offer, one_single_use_code, shared

PROVIDER = offers.OfferDiscounts()


@pytest.fixture
def marketer(staff):
    return staff["hq_marketer"]


@pytest.fixture
def hanako(db):
    return customer_create(email="hanako@example.jp", family_name="山田", given_name="花子", prefecture="13")


def evaluate(lines, **kwargs):
    ctx = context(lines=lines, **kwargs)
    return PROVIDER.evaluate(lines=lines, context=ctx), ctx


def commit(lines, ctx, result, number="W-000001", order_id=1):
    PROVIDER.commit(order_id=order_id, order_number=number, lines=lines, context=ctx, result=result)


# --- defining offers -----------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "percent", "value": 0}, "value"),
    ({"kind": "percent", "value": 101}, "value"),
    ({"kind": "fixed", "value": 0}, "value"),
    ({"kind": "buy_x_get_y", "buy_quantity": 0}, "buy_quantity"),
    ({"kind": "buy_x_get_y", "get_quantity": 0}, "get_quantity"),
    ({"channel_kinds": ["fax"]}, "channel_kinds"),
    ({"per_customer_limit": 0}, "per_customer_limit"),
    ({"budget": 0}, "budget"),
    ({"name": "  "}, "name"),
])
def test_offer_create_names_the_bad_field(marketer, fields, field):
    with pytest.raises(ValidationError) as caught:
        make_offer(marketer, **fields)
    assert field in caught.value.message_dict
    assert not Offer.objects.exists()


def test_offer_must_end_after_it_starts(marketer):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        make_offer(marketer, starts_at=now, ends_at=now - timedelta(hours=1))
    assert "ends_at" in caught.value.message_dict


def test_what_an_offer_gives_cannot_change_once_used(shop, marketer):
    offer = make_offer(marketer)
    shared(offer)
    lines = [line()]
    result, ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web)
    commit(lines, ctx, result)
    with pytest.raises(ValidationError) as caught:
        offers.offer_update(offer=offer, acting_user=marketer, value=50)
    assert "value" in caught.value.message_dict
    assert offers.offer_update(offer=offer, acting_user=marketer, name="春の10%オフ（延長）").name.endswith("（延長）")


def test_an_automatic_offer_takes_no_codes(shop, marketer):
    offer = make_offer(marketer, automatic=True)
    with pytest.raises(ValidationError):
        shared(offer)
    with pytest.raises(ValidationError):
        offers.codes_generate(offer=offer, count=10, acting_user=marketer)


# --- what an offer takes off -----------------------------------------------------------------

def test_percent_is_spread_over_the_lines_in_whole_yen(shop, marketer):
    shared(make_offer(marketer, value=15))
    lines = [line("A", unit_price=1000), line("B", unit_price=999), line("C", unit_price=1)]
    result, _ctx = evaluate(lines, codes=["spring-10"], channel=shop.web)
    assert result.refused == []
    # 15 % of 2,000 = 300, spread 150 / 149.85 / 0.15 -> the largest remainders get the yen
    assert [(d.sku, d.amount) for d in result.line_discounts] == [("A", 150), ("B", 150)]
    assert result.applied[0].amount == 300
    assert result.applied[0].code == "SPRING10"


def test_fixed_amount_applies_only_to_the_offer_categories(shop, marketer):
    shared(make_offer(marketer, kind="fixed", value=1000, categories=["シャツ"]))
    lines = [line("SHIRT", unit_price=3000), line("BAG", unit_price=9000, category="バッグ")]
    result, _ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web)
    assert [(d.sku, d.amount) for d in result.line_discounts] == [("SHIRT", 1000)]


def test_fixed_amount_never_exceeds_what_the_lines_cost(shop, marketer):
    shared(make_offer(marketer, kind="fixed", value=5000))
    result, _ctx = evaluate([line(unit_price=800)], codes=["SPRING10"], channel=shop.web)
    assert result.total == 800


def test_buy_two_get_one_makes_the_cheapest_units_free(shop, marketer):
    shared(make_offer(marketer, kind="buy_x_get_y", buy_quantity=2, get_quantity=1, name="2点買うと1点無料"))
    lines = [line("EXPENSIVE", quantity=2, unit_price=5000), line("CHEAP", quantity=4, unit_price=1200)]
    result, _ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web)
    # six units -> two free, the two cheapest (1,200 each)
    assert [(d.sku, d.amount, d.reason) for d in result.line_discounts] == [("CHEAP", 2400, "2点買うと1点無料")]


def test_buy_x_get_y_with_too_few_items_is_not_eligible(shop, marketer):
    shared(make_offer(marketer, kind="buy_x_get_y", buy_quantity=2, get_quantity=1))
    result, _ctx = evaluate([line(quantity=2)], codes=["SPRING10"], channel=shop.web)
    assert [r.reason for r in result.refused] == ["not_eligible"]
    assert result.total == 0


def test_free_shipping_takes_the_fee_off(shop, marketer):
    shared(make_offer(marketer, kind="free_shipping", name="送料無料"))
    result, _ctx = evaluate([line()], codes=["SPRING10"], channel=shop.web, shipping_fee=550)
    assert result.shipping_discount == 550
    assert result.line_discounts == []
    assert result.applied[0].free_shipping is True


def test_a_second_offer_applies_to_what_the_first_left(shop, marketer):
    shared(make_offer(marketer, kind="fixed", value=1000))
    shared(make_offer(marketer, value=10, name="10%"), code="TENOFF")
    result, _ctx = evaluate([line(unit_price=5000)], codes=["SPRING10", "TENOFF"], channel=shop.web)
    assert [a.amount for a in result.applied] == [1000, 400]


def test_an_automatic_offer_applies_without_a_code_and_is_skipped_when_not_met(shop, marketer):
    make_offer(marketer, automatic=True, name="全品5%オフ", value=5, min_spend=10000)
    small, _ctx = evaluate([line(unit_price=5000)], channel=shop.web)
    big, _ctx = evaluate([line(unit_price=5000, quantity=2)], channel=shop.web)
    assert (small.applied, small.refused) == ([], [])
    assert [(a.label, a.amount, a.code) for a in big.applied] == [("全品5%オフ", 500, "")]


def test_an_offer_with_no_automatic_flag_and_no_codes_applies_to_nobody(shop, marketer):
    make_offer(marketer)
    result, _ctx = evaluate([line()], channel=shop.web)
    assert result.applied == []


# --- every reason a code is refused -----------------------------------------------------------

def refusal(shop, code, **kwargs):
    lines = kwargs.pop("lines", [line()])
    ctx = context(lines=lines, codes=[code], channel=kwargs.pop("channel", shop.web), **kwargs)
    _offer, refused = offers.code_check(code, ctx, lines=lines)
    return refused


def test_unknown_code_is_refused(shop):
    refused = refusal(shop, "NOPE1234")
    assert (refused.reason, refused.code) == ("unknown", "NOPE1234")
    assert "NOPE1234" in refused.message


def test_expired_code_is_refused(shop, marketer):
    now = timezone.now()
    shared(make_offer(marketer, starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=1)))
    assert refusal(shop, "SPRING10").reason == "expired"


def test_code_expires_with_its_campaign(shop, marketer):
    campaign = Campaign.objects.create(name="春セール", ends_at=timezone.now() - timedelta(hours=1))
    shared(make_offer(marketer, campaign=campaign))
    assert refusal(shop, "SPRING10").reason == "expired"


def test_inactive_offer_code_is_refused_as_expired(shop, marketer):
    shared(make_offer(marketer, is_active=False))
    assert refusal(shop, "SPRING10").reason == "expired"


def test_code_before_its_start_is_refused(shop, marketer):
    shared(make_offer(marketer, starts_at=timezone.now() + timedelta(days=1)))
    assert refusal(shop, "SPRING10").reason == "not_started"


def test_shared_code_used_up_is_exhausted(shop, marketer):
    code = shared(make_offer(marketer), max_uses=1)
    OfferCode.objects.filter(pk=code.pk).update(uses=1)
    assert refusal(shop, "SPRING10").reason == "exhausted"


def test_single_use_code_used_once_is_already_used(shop, marketer):
    code = one_single_use_code(make_offer(marketer), marketer)
    lines = [line()]
    result, ctx = evaluate(lines, codes=[code], channel=shop.pos_a)
    commit(lines, ctx, result)
    refused = refusal(shop, code, channel=shop.pos_a)
    assert refused.reason == "already_used"


def test_code_for_the_web_is_refused_at_the_till(shop, marketer):
    shared(make_offer(marketer, channel_kinds=["web"]))
    refused = refusal(shop, "SPRING10", channel=shop.pos_a)
    assert refused.reason == "wrong_channel"
    assert refusal(shop, "SPRING10", channel=shop.web) is None


def test_code_below_the_minimum_spend_is_refused(shop, marketer):
    shared(make_offer(marketer, min_spend=10000))
    refused = refusal(shop, "SPRING10")
    assert refused.reason == "min_spend"
    assert "¥10,000" in refused.message


def test_code_for_a_segment_is_refused_to_others_and_to_anonymous(shop, marketer, hanako):
    tokyo = segment_create(name="東京都", rules={"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    shared(make_offer(marketer, segment=tokyo))
    osaka = customer_create(email="taro@example.jp", family_name="大阪", given_name="太郎", prefecture="27")
    assert refusal(shop, "SPRING10").reason == "not_eligible"
    assert refusal(shop, "SPRING10", customer=osaka).reason == "not_eligible"
    assert refusal(shop, "SPRING10", customer=hanako) is None


def test_code_assigned_to_a_customer_is_refused_to_another(shop, marketer, hanako):
    shared(make_offer(marketer), customer=hanako)
    assert refusal(shop, "SPRING10").reason == "not_eligible"
    assert refusal(shop, "SPRING10", customer=hanako) is None


def test_code_for_other_categories_is_not_eligible(shop, marketer):
    shared(make_offer(marketer, categories=["バッグ"]))
    assert refusal(shop, "SPRING10").reason == "not_eligible"


def test_code_whose_budget_is_spent_is_refused(shop, marketer):
    offer = make_offer(marketer, budget=1000)
    shared(offer)
    Offer.objects.filter(pk=offer.pk).update(spent=1000)
    assert refusal(shop, "SPRING10").reason == "budget_spent"


def test_code_whose_discount_exceeds_the_budget_left_is_refused(shop, marketer):
    offer = make_offer(marketer, budget=1000)
    shared(offer)
    Offer.objects.filter(pk=offer.pk).update(spent=600)
    assert refusal(shop, "SPRING10", lines=[line(unit_price=5000)]).reason == "budget_spent"  # 500 > 400 left
    assert refusal(shop, "SPRING10", lines=[line(unit_price=3000)]) is None  # 300 fits


def test_code_used_by_the_customer_as_often_as_allowed_is_refused(shop, marketer, hanako):
    shared(make_offer(marketer, per_customer_limit=1))
    lines = [line()]
    result, ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web, customer=hanako)
    commit(lines, ctx, result)
    assert refusal(shop, "SPRING10", customer=hanako).reason == "customer_limit"


# --- committing ------------------------------------------------------------------------------

def test_redemption_is_recorded_on_the_code_offer_campaign_and_timeline(shop, marketer, hanako):
    campaign = Campaign.objects.create(name="春セール")
    offer = make_offer(marketer, campaign=campaign)
    code = one_single_use_code(offer, marketer)
    lines = [line(unit_price=5000)]
    result, ctx = evaluate(lines, codes=[code.lower()], channel=shop.pos_a, customer=hanako)
    order = order_place(channel=shop.pos_a, customer=hanako, lines=[LineIn(sku="LS-S", quantity=1)],
                        fulfillment=FulfillmentIn(method="pickup", location="shibuya"), acting_user=None)
    commit(lines, ctx, result, number="P-000042", order_id=order.pk)

    redemption = Redemption.objects.get()
    assert (redemption.code.code, redemption.amount, redemption.order_number, redemption.campaign_id,
            redemption.channel_id, redemption.location_id) == (code, 500, "P-000042", campaign.pk, shop.pos_a.pk,
                                                               shop.store_a.pk)
    assert OfferCode.objects.get(code=code).uses == 1
    offer.refresh_from_db()
    assert (offer.spent, offer.redeemed) == (500, 1)
    event = CustomerEvent.objects.get(customer=hanako, kind=EventKind.COUPON_REDEEMED)
    assert event.data["code"] == code and event.data["campaign"] == campaign.pk and event.data["amount"] == 500
    assert event.subject == "order:P-000042"
    conversion = CampaignConversion.objects.get(campaign=campaign)  # the code made the order the campaign's
    assert (conversion.order_number, conversion.touch, conversion.revenue) == ("P-000042", "code", 4500)


def test_commit_refuses_a_code_used_since_the_evaluation(shop, marketer):
    code = one_single_use_code(make_offer(marketer), marketer)
    lines = [line()]
    first, ctx = evaluate(lines, codes=[code], channel=shop.pos_a)
    second, _ctx = evaluate(lines, codes=[code], channel=shop.pos_a)
    commit(lines, ctx, first)
    with pytest.raises(DiscountRefused) as caught:
        commit(lines, ctx, second, number="P-000002")
    assert [r.reason for r in caught.value.refused] == ["already_used"]
    assert caught.value.payload()["errors"]["codes"]


def test_commit_refuses_what_would_overrun_the_budget(shop, marketer):
    offer = make_offer(marketer, budget=800)
    shared(offer)
    lines = [line(unit_price=5000)]
    first, ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web)
    second, _ctx = evaluate(lines, codes=["SPRING10"], channel=shop.web)
    commit(lines, ctx, first)
    with pytest.raises(DiscountRefused) as caught:
        commit(lines, ctx, second, number="W-000002")
    assert [r.reason for r in caught.value.refused] == ["budget_spent"]
    offer.refresh_from_db()
    assert offer.spent == 500


def test_commit_with_nothing_applied_writes_nothing(shop, django_assert_num_queries):
    lines = [line()]
    result, ctx = evaluate(lines, channel=shop.web)
    with django_assert_num_queries(0):
        commit(lines, ctx, result)
