"""RFM scores and historic CLV: one set-based SQL recompute whose figures equal a Python
computation from the orders, with the standard segment map; reruns replace the previous run."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer, CustomerScore, RfmLabel, ScoreRun
from customers.scores import rfm_label, scores_recompute
from kernel.models import AuditEntry
from orders.models import Order
from tests.customers.segments_world import NOW, build_world

pytestmark = pytest.mark.django_db


def quintiles(values: dict[int, object]) -> dict[int, int]:
    """Rank-based quintiles in Python: 1 + 5 * (rank - 1) // n, ties sharing the lowest rank."""
    ordered = sorted(values.values())
    n = len(ordered)
    return {pk: 1 + 5 * ordered.index(value) // n for pk, value in values.items()}


def test_scores_equal_a_python_computation_from_the_orders(shop, django_assert_max_num_queries):
    build_world(shop)
    with django_assert_max_num_queries(5):  # upsert, delete stale rows, the run row (+ savepoint, release)
        run = scores_recompute(now=NOW)
    bought = {}
    for order in Order.objects.exclude(status="cancelled").exclude(customer=None):
        last, count, spent = bought.get(order.customer_id, (None, 0, 0))
        bought[order.customer_id] = (max(filter(None, [last, order.created_at])), count + 1, spent + order.total)
    assert run.customers == len(bought) == CustomerScore.objects.count()
    r = quintiles({pk: v[0] for pk, v in bought.items()})
    f = quintiles({pk: v[1] for pk, v in bought.items()})
    m = quintiles({pk: v[2] for pk, v in bought.items()})
    for score in CustomerScore.objects.all():
        last, count, spent = bought[score.customer_id]
        assert (score.frequency, score.monetary) == (count, spent)
        assert score.last_order_at == last
        assert score.recency_days == (NOW - last).days
        assert (score.r, score.f, score.m) == (r[score.customer_id], f[score.customer_id], m[score.customer_id])
        assert score.label == rfm_label(score.r, score.f)
    assert len({s.r for s in CustomerScore.objects.all()}) >= 4
    assert len({s.label for s in CustomerScore.objects.all()}) >= 4


def test_equal_frequencies_get_equal_scores(shop):
    build_world(shop)
    scores_recompute(now=NOW)
    by_frequency = {}
    for score in CustomerScore.objects.all():
        by_frequency.setdefault(score.frequency, set()).add(score.f)
    assert all(len(scores) == 1 for scores in by_frequency.values())


def test_a_rerun_drops_customers_whose_orders_were_all_cancelled(shop):
    build_world(shop)
    scores_recompute(now=NOW)
    score = CustomerScore.objects.order_by("frequency").first()
    Order.objects.filter(customer_id=score.customer_id).update(status="cancelled")
    later = NOW + timedelta(days=10)
    scores_recompute(now=later)
    assert not CustomerScore.objects.filter(customer_id=score.customer_id).exists()
    assert set(CustomerScore.objects.values_list("computed_at", flat=True)) == {later}
    assert ScoreRun.objects.count() == 2


def test_the_segment_map_covers_every_cell():
    labels = {(r, f): rfm_label(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert labels[(5, 5)] == RfmLabel.CHAMPIONS and labels[(1, 5)] == RfmLabel.CANT_LOSE
    assert labels[(1, 1)] == RfmLabel.HIBERNATING and labels[(5, 1)] == RfmLabel.NEW
    assert labels[(2, 3)] == RfmLabel.AT_RISK and labels[(4, 1)] == RfmLabel.PROMISING
    assert set(labels.values()) == set(RfmLabel.values)


def test_recompute_through_the_api_is_audited_and_a_score_is_readable(shop, staff):
    build_world(shop, n=12)
    client = APIClient()
    client.force_authenticate(staff["hq_marketer"])
    response = client.post(reverse("api:scores-recompute"))
    assert response.status_code == 202, response.content
    run = ScoreRun.objects.get()
    assert run.acting_user == staff["hq_marketer"]
    assert AuditEntry.objects.filter(action="scores_recompute", actor=staff["hq_marketer"]).exists()
    score = CustomerScore.objects.first()
    body = client.get(reverse("api:customer-score", kwargs={"customer_id": score.customer_id})).json()
    assert body["r"] == score.r and body["label"] == score.label and body["clv_historic"] == score.monetary
    without = Customer.objects.filter(score__isnull=True).first()
    assert client.get(reverse("api:customer-score", kwargs={"customer_id": without.pk})).status_code == 404


def test_store_staff_cannot_recompute(shop, staff):
    client = APIClient()
    client.force_authenticate(staff["store_staff"])
    assert client.post(reverse("api:scores-recompute")).status_code == 403
    assert not ScoreRun.objects.exists()
