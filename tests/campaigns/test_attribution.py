"""Attribution: each of the six models' numbers on hand-built paths, the touches read from the
customer event stream (offline like online), the costs and ROAS, and bad input."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import attribution
from campaigns.attribution import Conversion, Touch
from campaigns.errors import CampaignInvalid
from campaigns.models import ChannelCost
from customers.models import CustomerEvent, EventKind
from customers.services import event_record
from orders import services as orders
from orders.services import FulfillmentIn, LineIn
from tests.campaigns.tracking_world import make_campaign, make_customer

NOW = timezone.now().replace(microsecond=0)


def _path(*channels, days_before=None):
    """Touches of ``channels`` one day apart, the last one day before NOW (or at ``days_before``)."""
    days = days_before or list(range(len(channels), 0, -1))
    return tuple(Touch(NOW - timedelta(days=d), c, f"c{i}") for i, (c, d) in enumerate(zip(channels, days, strict=True)))


def _credits(conversions, lost=(), half_life=7.0):
    return attribution.attribute(list(conversions), list(lost), half_life_days=half_life, key=lambda t: t.channel)


def test_email_store_sms_path_splits_by_each_rule_based_model():
    path = _path("email", "store", "sms")
    credits = _credits([Conversion(at=NOW, revenue=9000, touches=path)])
    conv = {model: {k: round(v.conversions, 6) for k, v in table.items()} for model, table in credits.items()}
    assert conv["first_touch"] == {"email": 1.0}
    assert conv["last_touch"] == {"sms": 1.0}
    assert conv["linear"] == {"email": round(1 / 3, 6), "store": round(1 / 3, 6), "sms": round(1 / 3, 6)}
    assert conv["position"] == {"email": 0.4, "store": 0.2, "sms": 0.4}
    assert round(credits["linear"]["store"].revenue) == 3000
    assert round(credits["position"]["email"].revenue) == 3600
    # one path, every channel needed: removal of any one loses everything -> equal thirds
    assert conv["markov"] == conv["linear"]


def test_time_decay_halves_the_weight_per_half_life():
    # touches 3, 2 and 1 days before the order, half-life 1 day: weights 1/8, 1/4, 1/2 -> 1/7, 2/7, 4/7
    path = _path("email", "store", "sms")
    credits = _credits([Conversion(at=NOW, revenue=7000, touches=path)], half_life=1.0)
    assert credits["time_decay"]["email"].conversions == pytest.approx(1 / 7)
    assert credits["time_decay"]["store"].conversions == pytest.approx(2 / 7)
    assert credits["time_decay"]["sms"].conversions == pytest.approx(4 / 7)
    assert credits["time_decay"]["sms"].revenue == pytest.approx(4000)
    # a longer half-life flattens the weights towards linear
    flat = _credits([Conversion(at=NOW, revenue=7000, touches=path)], half_life=1000.0)
    assert flat["time_decay"]["email"].conversions == pytest.approx(1 / 3, abs=1e-3)


def test_position_based_with_one_two_and_four_touches():
    assert attribution.position_based(_path("email")) == [1.0]
    assert attribution.position_based(_path("email", "sms")) == [0.5, 0.5]
    assert attribution.position_based(_path("email", "sms", "line", "store")) == pytest.approx([0.4, 0.1, 0.1, 0.4])


def test_markov_removal_effects_match_the_hand_computed_graph():
    # paths: A>B converts, A alone does not, B alone converts.
    # start->A 2/3, start->B 1/3, A->B 1/2, A->null 1/2, B->conv 1: P(conv) = 2/3*1/2 + 1/3 = 2/3
    # without A: 1/3 -> effect 1/2; without B: 0 -> effect 1. Shares 1/3 and 2/3 of 2 conversions.
    paths = Counter({(("A", "B"), True): 1, (("A",), False): 1, (("B",), True): 1})
    effects = attribution.markov_removal_effects(paths)
    assert effects == pytest.approx({"A": 0.5, "B": 1.0})
    conversions = [Conversion(at=NOW, revenue=3000, touches=(Touch(NOW, "A", ""), Touch(NOW, "B", ""))),
                   Conversion(at=NOW, revenue=6000, touches=(Touch(NOW, "B", ""),))]
    credits = _credits(conversions, lost=[(Touch(NOW, "A", ""),)])
    assert credits["markov"]["A"].conversions == pytest.approx(2 / 3)
    assert credits["markov"]["B"].conversions == pytest.approx(4 / 3)
    assert credits["markov"]["B"].revenue == pytest.approx(6000)
    # the rule-based models ignore the path that did not convert
    assert credits["linear"]["A"].conversions == pytest.approx(0.5)
    assert credits["linear"]["B"].conversions == pytest.approx(1.5)


def test_markov_with_a_loop_and_nothing_converted():
    paths = Counter({(("A", "A", "B"), True): 2, (("B", "A"), False): 2})
    effects = attribution.markov_removal_effects(paths)
    assert 0 < effects["A"] <= 1 and 0 < effects["B"] <= 1
    assert attribution.markov_removal_effects(Counter({(("A",), False): 3})) == {}


def test_an_order_without_touches_goes_to_no_touch_in_every_model():
    credits = _credits([Conversion(at=NOW, revenue=500, touches=())])
    for model in attribution.MODELS:
        assert dict(credits[model]).keys() == {attribution.NO_TOUCH}
        assert credits[model][attribution.NO_TOUCH].revenue == 500


# --- read from the event stream -------------------------------------------------------------------

def _params(**kw):
    today = timezone.localdate()
    return attribution.params_validate(start=today - timedelta(days=1), end=today, **kw)


@pytest.mark.django_db
def test_touches_come_from_the_event_stream_online_and_offline(shop):
    hanako, taro = make_customer(1), make_customer(2, given_name="太郎")
    campaign = make_campaign("冬のセール")
    now = timezone.now()

    def ev(customer, kind, days, **data):
        event_record(customer=customer, kind=kind, occurred_at=now - timedelta(days=days), data=data)

    ev(hanako, EventKind.EMAIL_SENT, 3, campaign=campaign.pk, channel="email")
    ev(hanako, EventKind.EMAIL_OPENED, 2.9, campaign=campaign.pk, channel="email", machine=True)  # not a person
    event_record(customer=hanako, kind=EventKind.STORE_VISIT, location=shop.store_a, interaction="store",
                 occurred_at=now - timedelta(days=2))
    ev(hanako, EventKind.SMS_CLICKED, 1, campaign=campaign.pk, channel="sms")
    ev(hanako, EventKind.EMAIL_SENT, 40, campaign=campaign.pk, channel="email")  # outside the window
    ev(hanako, EventKind.EMAIL_SENT, 2, template="order_ready")  # a transactional email: no campaign
    # an ad visit (UTM from outside the shop), as the first-party ingest stores it
    CustomerEvent.objects.create(customer=taro, kind=EventKind.PAGE_VIEWED, occurred_at=now - timedelta(days=1),
                                 utm_source="google", utm_medium="cpc", utm_campaign="winter")
    CustomerEvent.objects.create(customer=taro, kind=EventKind.PAGE_VIEWED, occurred_at=now - timedelta(hours=1),
                                 utm_source="omnishop", utm_medium="email", utm_campaign="x")  # own link
    orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    orders.order_place(channel=shop.web, customer=taro, lines=[LineIn("LS-S", 2)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    conversions, lost = attribution.conversions_read(_params())
    paths = sorted(tuple(t.channel for t in c.touches) for c in conversions)
    assert paths == [("ads",), ("email", "store", "sms")]
    report = attribution.attribution_report(_params())
    assert (report.orders, report.touched_orders, report.touches) == (2, 2, 4)
    channels = {row.key: row for row in report.channels}
    assert channels["email"].credits["first_touch"].conversions == 1
    assert channels["ads"].credits["first_touch"].conversions == 1
    assert channels["store"].credits["linear"].conversions == pytest.approx(1 / 3)
    campaigns = {row.key: row for row in report.campaigns}
    assert campaigns[f"c{campaign.pk}"].label == "冬のセール"
    assert campaigns["uwinter"].credits["last_touch"].conversions == 1
    assert campaigns[""].credits["position"].conversions == pytest.approx(0.2)  # the store visit
    for model in attribution.MODELS:
        assert sum(row.credits[model].conversions for row in report.channels) == pytest.approx(2)
        assert sum(row.credits[model].revenue for row in report.channels) == pytest.approx(report.revenue)


@pytest.mark.django_db
def test_the_window_bounds_the_paths_and_customers_who_did_not_order_make_lost_paths(shop):
    hanako, taro = make_customer(1), make_customer(2, given_name="太郎")
    campaign = make_campaign()
    now = timezone.now()
    event_record(customer=hanako, kind=EventKind.EMAIL_SENT, occurred_at=now - timedelta(days=5),
                 data={"campaign": campaign.pk, "channel": "email"})
    event_record(customer=taro, kind=EventKind.EMAIL_CLICKED, occurred_at=now - timedelta(hours=3),
                 data={"campaign": campaign.pk, "channel": "line"})
    orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    conversions, lost = attribution.conversions_read(_params(window_days=3))
    assert [c.touches for c in conversions] == [()]
    assert [[t.channel for t in path] for path in lost] == [["line"]]
    conversions, _ = attribution.conversions_read(_params(window_days=7))
    assert [[t.channel for t in c.touches] for c in conversions] == [["email"]]


@pytest.mark.django_db
def test_costs_are_prorated_to_the_range_and_give_roas(shop):
    campaign = make_campaign()
    today = timezone.localdate()
    month = today.replace(day=1)
    attribution.channel_cost_save(month=today, channel="email", amount=31000)
    attribution.channel_cost_save(month=month, channel="email", amount=62000, campaign=campaign)
    attribution.channel_cost_save(month=month, channel="email", amount=30000)  # entered again: replaces
    assert ChannelCost.objects.count() == 2
    import calendar
    days = calendar.monthrange(month.year, month.month)[1]
    params = attribution.params_validate(start=month, end=month + timedelta(days=9))
    by_channel, by_campaign = attribution._costs(params)
    assert by_channel == {"email": round(92000 * 10 / days)}
    assert by_campaign == {f"c{campaign.pk}": round(62000 * 10 / days)}
    row = attribution.Row(key="email", label="", credits={"linear": attribution.Credit(1, 50000)}, cost=25000)
    assert row.roas("linear") == 2.0
    assert attribution.Row(key="sms", label="", credits={"linear": attribution.Credit(1, 1)}).roas("linear") is None


@pytest.mark.django_db
@pytest.mark.parametrize("fields, bad", [
    ({"amount": -1}, "amount"), ({"amount": "abc"}, "amount"), ({"channel": "fax"}, "channel"),
    ({"month": "2026-13"}, "month"),
])
def test_bad_costs_are_refused_naming_the_field(fields, bad):
    values = {"month": timezone.localdate(), "channel": "email", "amount": 1000, **fields}
    with pytest.raises(CampaignInvalid) as refused:
        attribution.channel_cost_save(**values)
    assert bad in refused.value.errors
    assert not ChannelCost.objects.exists()


@pytest.mark.parametrize("fields, bad", [
    ({"window_days": 0}, "window_days"), ({"window_days": -3}, "window_days"), ({"window_days": "x"}, "window_days"),
    ({"half_life_days": 0}, "half_life_days"), ({"half_life_days": -1}, "half_life_days"),
    ({"model": "u_shape"}, "model"), ({"end": None}, "start"),
])
def test_bad_report_inputs_are_refused_naming_the_field(fields, bad):
    today = timezone.localdate()
    values = {"start": today - timedelta(days=3), "end": today, **fields}
    with pytest.raises(CampaignInvalid) as refused:
        attribution.params_validate(**values)
    assert bad in refused.value.errors


def test_an_end_before_the_start_is_refused():
    today = timezone.localdate()
    with pytest.raises(CampaignInvalid) as refused:
        attribution.params_validate(start=today, end=today - timedelta(days=1))
    assert "end" in refused.value.errors


def test_each_cost_entered_or_removed_is_in_the_audit_trail(shop):
    from kernel.models import AuditEntry

    month = timezone.localdate().replace(day=1)
    attribution.channel_cost_save(month=month, channel="sms", amount=5000)
    cost = attribution.channel_cost_save(month=month, channel="sms", amount=7000)
    attribution.channel_cost_delete(cost=cost)
    trail = list(AuditEntry.objects.filter(action__startswith="channel_cost_").order_by("pk")
                 .values_list("action", "changes"))
    assert trail == [("channel_cost_save", {"amount": [None, 5000]}), ("channel_cost_save", {"amount": [5000, 7000]}),
                     ("channel_cost_delete", {"amount": [7000, None]})]
