"""The customer's timeline, staff entries on it, and consent (by staff, and by the customer
at /me/consent/) over the API, through the customers services."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import ConsentRecord, EventKind
from customers.selectors import consent_state
from customers.services import event_record
from orders import services
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def events_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/events/"


# --- the timeline -----------------------------------------------------------------------------

def test_the_timeline_lists_every_touchpoint_newest_first_with_pagination(shop, staff, api, make_customer):
    _user, customer = make_customer()
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    client = api(staff["store_staff"])
    body = client.get(events_url(customer)).json()
    kinds = [row["kind"] for row in body["results"]]
    assert kinds == [EventKind.ORDER_PLACED, EventKind.CONSENT_CHANGED, EventKind.SIGNED_UP]
    placed = body["results"][0]
    assert (placed["subject"], placed["channel"], placed["kind_label"]) == (f"order:{order.number}", "web",
                                                                            str(EventKind.ORDER_PLACED.label))
    page = client.get(events_url(customer), {"page_size": 2}).json()
    assert (page["count"], len(page["results"]), bool(page["next"])) == (3, 2, True)


def test_the_timeline_needs_customer_access_and_an_existing_customer(shop, staff, api, make_customer):
    user, customer = make_customer()
    assert api(staff["warehouse_operator"]).get(events_url(customer)).status_code == 403
    assert api(user).get(events_url(customer)).status_code == 403  # customers use /me/
    assert APIClient().get(events_url(customer)).status_code in (401, 403)
    assert api(staff["store_staff"]).get("/api/v1/customers/999999/events/").status_code == 404


def test_the_timeline_query_count_does_not_grow_with_events(shop, staff, make_customer, django_assert_num_queries):
    _user, customer = make_customer()

    def queries() -> int:
        client = APIClient()
        client.force_authenticate(user=get_user_model().objects.get(pk=staff["store_staff"].pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(events_url(customer), {"page_size": 200})
        assert response.status_code == 200
        return len(captured)

    few = queries()
    for location in (shop.store_a, shop.store_b, shop.warehouse) * 4:
        event_record(customer=customer, kind=EventKind.STORE_VISIT, channel=shop.pos_a, location=location)
    assert customer.events.count() > 10
    assert queries() == few


# --- staff entries ------------------------------------------------------------------------------

def test_store_staff_record_a_store_visit_at_their_store(shop, staff, api, make_customer):
    _user, customer = make_customer()
    response = api(staff["store_staff"]).post(events_url(customer), {"kind": "store_visit", "interaction": "store",
                                                                     "note": " tried the linen shirt in M "},
                                              format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["location"], body["data"]["note"]) == ("store_visit", "shibuya",
                                                                      "tried the linen shirt in M")
    assert body["data"]["staff_id"] == staff["store_staff"].pk
    assert customer.events.filter(kind=EventKind.STORE_VISIT, location=shop.store_a).exists()


def test_hq_staff_write_a_note_without_a_location(shop, staff, api, make_customer):
    _user, customer = make_customer()
    response = api(staff["hq_marketer"]).post(events_url(customer), {"kind": "staff_note", "interaction": "phone",
                                                                     "note": "called about sizes"}, format="json")
    assert response.status_code == 201
    assert response.json()["location"] is None


@pytest.mark.parametrize(
    ("who", "body", "field"),
    [
        ("hq_marketer", {"kind": "store_visit", "interaction": "store"}, "kind"),  # not working at a store
        ("store_staff", {"kind": "staff_note", "interaction": "phone", "note": "  "}, "note"),
        ("store_staff", {"kind": "staff_note", "interaction": "chat"}, "note"),
        ("store_staff", {"kind": "order_placed", "note": "x", "interaction": "phone"}, "kind"),  # the system's own events
        ("store_staff", {"note": "x", "interaction": "phone"}, "kind"),
        ("store_staff", {"kind": "staff_note", "interaction": "phone", "note": "x" * 501}, "note"),
        ("store_staff", {"kind": "staff_note", "note": "no channel"}, "interaction"),
        ("store_staff", {"kind": "staff_note", "interaction": "fax", "note": "x"}, "interaction"),
        ("store_staff", {"kind": "store_visit", "interaction": "phone"}, "interaction"),
    ],
)
def test_bad_staff_entries_are_400_and_nothing_is_recorded(shop, staff, api, make_customer, who, body, field):
    _user, customer = make_customer()
    before = customer.events.count()
    response = api(staff[who]).post(events_url(customer), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert customer.events.count() == before


def test_staff_entries_need_customer_access_and_an_existing_customer(shop, staff, api, make_customer):
    user, customer = make_customer()
    body = {"kind": "staff_note", "interaction": "phone", "note": "x"}
    assert api(staff["warehouse_operator"]).post(events_url(customer), body, format="json").status_code == 403
    assert api(user).post(events_url(customer), body, format="json").status_code == 403
    assert api(staff["store_staff"]).post("/api/v1/customers/999999/events/", body,
                                          format="json").status_code == 404
    assert not customer.events.filter(kind=EventKind.STAFF_NOTE).exists()


# --- consent by staff -----------------------------------------------------------------------

def test_hq_records_a_consent_change_with_source_api_and_the_acting_user(shop, staff, api, make_customer):
    _user, customer = make_customer(marketing=True)
    response = api(staff["hq_marketer"]).post(f"/api/v1/customers/{customer.pk}/consent/",
                                              {"channel": "sms", "granted": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["consent"] == {"email": True, "sms": True}
    record = ConsentRecord.objects.get(customer=customer, channel="sms")
    assert (record.granted, record.source, record.acting_user) == (True, "api", staff["hq_marketer"])
    assert customer.events.filter(kind=EventKind.CONSENT_CHANGED, data__source="api").exists()


@pytest.mark.parametrize("body", [{"channel": "fax", "granted": True}, {"channel": "sms"},
                                  {"channel": "sms", "granted": "perhaps"}, {"granted": True}])
def test_bad_consent_bodies_are_400(shop, staff, api, make_customer, body):
    _user, customer = make_customer()
    response = api(staff["hq_marketer"]).post(f"/api/v1/customers/{customer.pk}/consent/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"channel", "granted"}
    assert not ConsentRecord.objects.filter(customer=customer, source="api").exists()


def test_consent_changes_need_change_customer_and_an_existing_customer(shop, staff, api, make_customer):
    user, customer = make_customer()
    body = {"channel": "email", "granted": False}
    assert api(staff["store_staff"]).post(f"/api/v1/customers/{customer.pk}/consent/", body,
                                          format="json").status_code == 403
    assert api(user).post(f"/api/v1/customers/{customer.pk}/consent/", body, format="json").status_code == 403
    assert api(staff["hq_marketer"]).post("/api/v1/customers/999999/consent/", body,
                                          format="json").status_code == 404
    assert consent_state(customer=customer) == {"email": True}


# --- a customer's own consent ---------------------------------------------------------------------

def test_a_customer_reads_and_changes_their_own_consent(shop, api, make_customer):
    user, customer = make_customer(marketing=True)
    client = api(user)
    assert client.get("/api/v1/me/consent/").json() == {"email": True}
    response = client.post("/api/v1/me/consent/", {"channel": "email", "granted": False}, format="json")
    assert response.status_code == 200
    assert response.json() == {"email": False}
    record = ConsentRecord.objects.filter(customer=customer).order_by("-id").first()
    assert (record.granted, record.source, record.source_detail, record.acting_user) == (False, "api", "api-me", user)
    assert record.ip_address == "127.0.0.1"
    assert client.post("/api/v1/me/consent/", {"channel": "line", "granted": True},
                       format="json").json() == {"email": False, "line": True}


@pytest.mark.parametrize("body", [{"channel": "fax", "granted": True}, {"channel": "email"}, {}])
def test_bad_own_consent_bodies_are_400(shop, api, make_customer, body):
    user, customer = make_customer()
    response = api(user).post("/api/v1/me/consent/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert customer.consent_records.count() == 1


def test_staff_and_anonymous_callers_have_no_own_consent(shop, staff, api):
    assert api(staff["store_staff"]).get("/api/v1/me/consent/").status_code == 403
    assert api(staff["hq_marketer"]).post("/api/v1/me/consent/", {"channel": "email", "granted": True},
                                          format="json").status_code == 403
    assert APIClient().get("/api/v1/me/consent/").status_code in (401, 403)
