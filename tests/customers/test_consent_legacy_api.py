"""The older staff consent endpoint, POST /api/v1/customers/{id}/consent/: a deprecated alias of
/consents/grant/ and /consents/withdraw/ that records a valid ConsentSource with its detail,
through the same service (customers.consent.consent_decide)."""

import pytest
from rest_framework.test import APIClient

from customers.models import ConsentRecord, ConsentSource, EventKind
from customers.services import customer_sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")
    return customer


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/consent/"


def test_without_a_source_it_records_api_and_names_the_staff_user(staff, hanako):
    hq = staff["hq_marketer"]
    response = api(hq).post(_url(hanako), {"channel": "sms", "granted": True}, format="json",
                            HTTP_USER_AGENT="CRM-sync/2")
    assert response.status_code == 200 and response.json()["consent"]["sms"] is True
    record = ConsentRecord.objects.get(customer=hanako, channel="sms")
    assert record.source == ConsentSource.API and record.source in ConsentSource.values
    assert hq.get_username() in record.source_detail
    assert (record.purpose, record.granted, record.acting_user, record.user_agent) == (
        "marketing", True, hq, "CRM-sync/2")
    assert hanako.events.filter(kind=EventKind.CONSENT_CHANGED, data__source="api").count() == 1


def test_a_source_and_detail_sent_by_the_client_are_recorded(staff, hanako):
    body = {"channel": "email", "granted": True, "source": "pos", "source_detail": "渋谷店レジで口頭"}
    assert api(staff["hq_marketer"]).post(_url(hanako), body, format="json").status_code == 200
    record = ConsentRecord.objects.filter(customer=hanako, channel="email").latest("id")
    assert (record.source, record.source_detail, record.granted) == ("pos", "渋谷店レジで口頭", True)
    # staff record it directly, like /consents/grant/: no double opt-in, and no row when nothing changes
    assert api(staff["hq_marketer"]).post(_url(hanako), body, format="json").status_code == 200
    assert ConsentRecord.objects.filter(customer=hanako, channel="email").latest("id") == record


@pytest.mark.parametrize("source", ["", "fax", "unsubscribe", "confirmation", "storefront"])
def test_a_source_that_is_not_a_staff_source_is_400_and_stores_nothing(staff, hanako, source):
    response = api(staff["hq_marketer"]).post(_url(hanako), {"channel": "sms", "granted": True, "source": source},
                                              format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"source"}
    assert not ConsentRecord.objects.filter(customer=hanako, channel="sms").exists()


def test_the_schema_marks_it_deprecated_and_points_to_its_successors(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    legacy = paths["/api/v1/customers/{id}/consent/"]["post"]
    assert legacy["deprecated"] is True and "/consents/grant/" in legacy["description"]
    assert not paths["/api/v1/customers/{customer_id}/consents/grant/"]["post"].get("deprecated")
