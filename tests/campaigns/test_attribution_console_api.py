"""The attribution page and API: who may open them, constant query counts, the CSV, costs entered
in the console and over the API, and bad input answered with field errors."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import ChannelCost
from customers.models import EventKind
from customers.services import event_record
from inventory import services as inventory
from kernel import roles
from orders import services as orders
from orders.services import FulfillmentIn, LineIn
from tests.campaigns.tracking_world import make_campaign, make_customer

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _buyers(shop, count: int, campaign, *, first: int = 100):
    """``count`` customers, each emailed and visiting a store before ordering."""
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=count, reference="PO-ATTR")
    now = timezone.now()
    for n in range(count):
        customer = make_customer(first + n)
        event_record(customer=customer, kind=EventKind.EMAIL_SENT, occurred_at=now - timedelta(days=2),
                     data={"campaign": campaign.pk, "channel": "email"})
        event_record(customer=customer, kind=EventKind.STORE_VISIT, location=shop.store_a, interaction="store",
                     occurred_at=now - timedelta(days=1))
        orders.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                           fulfillment=FulfillmentIn("pickup", "shibuya"))


def test_only_hq_and_administrators_open_attribution(shop, staff, client):
    for role in (roles.STORE_STAFF, roles.WAREHOUSE_OPERATOR):
        client.force_login(staff[role])
        assert client.get(reverse("console:attribution")).status_code == 403
        assert client.get(reverse("console:attribution_costs")).status_code == 403
        assert api(staff[role]).get("/api/v1/attribution/").status_code == 403
        assert api(staff[role]).post("/api/v1/attribution/costs/", {"month": "2026-11-01", "channel": "email",
                                                                     "amount": 100}).status_code == 403
    for role in (roles.HQ_MARKETER, roles.ADMINISTRATOR):
        client.force_login(staff[role])
        assert client.get(reverse("console:attribution")).status_code == 200
    client.force_login(staff["customer"])
    assert client.get(reverse("console:attribution")).status_code == 403


def test_the_page_costs_the_same_queries_for_few_and_many_orders(shop, staff, client, django_assert_num_queries):
    campaign = make_campaign("冬のセール")
    client.force_login(staff[roles.HQ_MARKETER])
    _buyers(shop, 1, campaign)
    client.get(reverse("console:attribution"))  # warm the caches (brand theme, permissions)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("console:attribution"))
    assert response.status_code == 200
    _buyers(shop, 6, campaign, first=200)
    ChannelCost.objects.create(month=timezone.localdate().replace(day=1), channel="email", amount=1000)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("console:attribution"))
    body = response.content.decode()
    assert "冬のセール" in body and "<svg" in body and 'role="img"' in body
    assert response.context["report"].orders == 7


def test_the_page_shows_the_models_side_by_side_and_exports_csv(shop, staff, client):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 2, campaign)
    client.force_login(staff[roles.HQ_MARKETER])
    response = client.get(reverse("console:attribution"))
    channels = {row["key"]: row for row in response.context["channel_rows"]}
    # email then a store visit: first touch gives email both orders, last touch the store
    assert [cell["conversions"] for cell in channels["email"]["cells"]][:3] == ["2.00", "0.00", "1.00"]
    assert [cell["conversions"] for cell in channels["store"]["cells"]][:3] == ["0.00", "2.00", "1.00"]
    today = timezone.localdate()
    response = client.get(reverse("console:attribution"), {"start": (today - timedelta(days=3)).isoformat(),
                                                           "end": today.isoformat(), "window_days": 30,
                                                           "half_life_days": 7, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows[0]) == 4 + 6 * 3
    email = next(row for row in rows if row[1] == "email")
    assert email[4] == "2.0000" and int(email[5]) == 11000  # first touch: both orders, both totals


@pytest.mark.parametrize("query, field", [
    ({"window_days": 0}, "window_days"), ({"window_days": -1}, "window_days"),
    ({"half_life_days": 0}, "half_life_days"), ({"half_life_days": -2}, "half_life_days"),
    ({"end": "2020-01-01"}, "end"),
])
def test_bad_page_input_answers_400_with_the_field_named(shop, staff, client, query, field):
    client.force_login(staff[roles.HQ_MARKETER])
    today = timezone.localdate()
    values = {"start": (today - timedelta(days=3)).isoformat(), "end": today.isoformat(), "window_days": 30,
              "half_life_days": 7, **query}
    response = client.get(reverse("console:attribution"), values)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert response.context["report"] is None


def test_the_api_gives_each_model_and_refuses_bad_input(shop, staff):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 1, campaign)
    client = api(staff[roles.HQ_MARKETER])
    body = client.get("/api/v1/attribution/").json()
    assert body["orders"] == 1 and body["touches"] == 2
    email = next(row for row in body["channels"] if row["key"] == "email")
    assert set(email["models"]) == {"first_touch", "last_touch", "linear", "time_decay", "position", "markov"}
    assert email["models"]["position"]["conversions"] == 0.5 and email["models"]["first_touch"]["revenue"] == 5500
    only = client.get("/api/v1/attribution/", {"model": "linear"}).json()
    assert set(only["channels"][0]["models"]) == {"linear"}
    for query, field in (({"model": "u_shape"}, "model"), ({"window_days": 0}, "window_days"),
                         ({"half_life_days": -1}, "half_life_days"), ({"start": "yesterday"}, "start")):
        response = client.get("/api/v1/attribution/", query)
        assert response.status_code == 400, query
        assert field in response.json()["errors"], response.json()


def test_costs_entered_over_the_api_and_the_console_give_roas(shop, staff, client):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 2, campaign)
    marketer = api(staff[roles.HQ_MARKETER])
    month = timezone.localdate().replace(day=1)
    response = marketer.post("/api/v1/attribution/costs/", {"month": month.isoformat(), "channel": "email",
                                                            "amount": -5}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["errors"]
    response = marketer.post("/api/v1/attribution/costs/", {"month": month.isoformat(), "channel": "fax",
                                                            "amount": 5}, format="json")
    assert response.status_code == 400 and "channel" in response.json()["errors"]
    assert not ChannelCost.objects.exists()
    client.force_login(staff[roles.HQ_MARKETER])
    response = client.post(reverse("console:attribution_costs"), {"month": month.strftime("%Y-%m"),
                                                                  "channel": "email", "amount": "-1"})
    assert response.status_code == 400 and response.context["form"].errors["amount"]
    response = client.post(reverse("console:attribution_costs"), {"month": month.strftime("%Y-%m"),
                                                                  "channel": "email", "amount": "1100"})
    assert response.status_code == 302
    response = marketer.post("/api/v1/attribution/costs/", {"month": month.isoformat(), "channel": "store",
                                                            "amount": 0}, format="json")
    assert response.status_code == 201
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    body = marketer.get("/api/v1/attribution/", {"start": month.isoformat(), "end": end.isoformat()}).json()
    email = next(row for row in body["channels"] if row["key"] == "email")
    assert email["cost"] == 1100
    assert email["models"]["first_touch"]["roas"] == pytest.approx(11000 / 1100)
    store = next(row for row in body["channels"] if row["key"] == "store")
    assert store["cost"] is None or store["models"]["linear"]["roas"] is None  # a zero cost has no ROAS
    cost = ChannelCost.objects.get(channel="email")
    assert client.post(reverse("console:attribution_cost_delete", args=[cost.pk])).status_code == 302
    assert not ChannelCost.objects.filter(channel="email").exists()
