"""Consents over the API: grant, withdraw, history and state at T, for staff and for the customer
(/me/), documented with examples; bad input is a 400 naming the field, with nothing stored."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers import consent
from customers.models import ConsentRecord, ConsentRequest
from customers.services import customer_sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hanako(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", phone="090-1234-5678", channel=shop.web)
    return customer


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def _cells(body) -> dict:
    return {(c["channel"], c["purpose"]): c for c in body["consents"]}


def _base(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/consents/"


# --- staff ---------------------------------------------------------------------------------------

def test_staff_grant_and_withdraw_with_a_source_and_read_the_history(staff, hanako):
    hq = api(staff["hq_marketer"])
    body = {"channel": "sms", "purpose": "marketing", "source": "pos", "source_detail": "渋谷店レジ"}
    response = hq.post(_base(hanako) + "grant/", body, format="json", HTTP_USER_AGENT="POS-app")
    assert response.status_code == 200
    data = response.json()
    assert data["record"]["source"] == "pos" and data["record"]["acting_user"] == str(staff["hq_marketer"])
    assert _cells(data)[("sms", "marketing")]["granted"] is True
    assert hq.post(_base(hanako) + "grant/", body, format="json").json()["record"] is None  # no change
    response = hq.post(_base(hanako) + "withdraw/", {**body, "source": "staff"}, format="json")
    assert _cells(response.json())[("sms", "marketing")] | {"decided_at": None} == {
        "channel": "sms", "purpose": "marketing", "granted": False, "decided": True, "source": "staff",
        "decided_at": None}
    history = hq.get(_base(hanako) + "history/").json()
    assert [(r["channel"], r["granted"], r["source"]) for r in history["results"][:2]] == [
        ("sms", False, "staff"), ("sms", True, "pos")]
    assert history["results"][1]["user_agent"] == "POS-app" and history["results"][1]["ip_address"] == "127.0.0.1"


def test_the_state_at_time_t(staff, hanako):
    then = timezone.now() - timedelta(days=30)
    with mock.patch("django.utils.timezone.now", return_value=then):
        consent.consent_grant(customer=hanako, channel="line", source="storefront")
    consent.consent_withdraw(customer=hanako, channel="line", source="unsubscribe")
    reader = api(staff["store_staff"])  # reading needs view_customer only
    past = reader.get(_base(hanako), {"at": (then + timedelta(days=1)).isoformat()}).json()
    now = reader.get(_base(hanako)).json()
    before = reader.get(_base(hanako), {"at": "2000-01-01T00:00:00+09:00"}).json()
    assert _cells(past)[("line", "marketing")]["granted"] is True
    assert _cells(now)[("line", "marketing")]["granted"] is False
    assert _cells(before)[("line", "marketing")]["decided"] is False
    assert len(now["consents"]) == 20  # 6 contact channels × 3 purposes, and the online store × 2


@pytest.mark.parametrize("body, field", [
    ({"channel": "fax", "purpose": "marketing", "source": "staff"}, "channel"),
    ({"channel": "sms", "purpose": "profiling", "source": "staff"}, "purpose"),
    ({"channel": "sms", "purpose": "marketing"}, "source"),
    ({"channel": "sms", "purpose": "marketing", "source": ""}, "source"),
    ({"channel": "sms", "purpose": "marketing", "source": "unsubscribe"}, "source"),
    ({"purpose": "marketing", "source": "staff"}, "channel"),
])
@pytest.mark.parametrize("action", ["grant", "withdraw"])
def test_bad_staff_bodies_are_400_naming_the_field_and_store_nothing(staff, hanako, body, field, action):
    before = ConsentRecord.objects.count()
    response = api(staff["hq_marketer"]).post(_base(hanako) + f"{action}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert ConsentRecord.objects.count() == before


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-04-01T00:00:00+23:00"])
def test_a_bad_time_is_400_naming_at(staff, hanako, value):
    response = api(staff["store_staff"]).get(_base(hanako), {"at": value})
    assert response.status_code == 400 and "at" in response.json()["errors"]


def test_staff_need_change_customer_to_write_and_the_customer_must_exist(staff, hanako):
    body = {"channel": "sms", "purpose": "marketing", "source": "staff"}
    assert api(staff["store_staff"]).post(_base(hanako) + "grant/", body, format="json").status_code == 403
    assert api(hanako.user).post(_base(hanako) + "grant/", body, format="json").status_code == 403
    assert api().get(_base(hanako)).status_code in (401, 403)
    assert api(staff["hq_marketer"]).post("/api/v1/customers/999999/consents/grant/", body,
                                          format="json").status_code == 404
    assert not ConsentRecord.objects.filter(channel="sms").exists()


# --- the customer's own --------------------------------------------------------------------------

def test_a_customer_grants_withdraws_and_reads_their_own(hanako, mailoutbox, django_capture_on_commit_callbacks):
    me = api(hanako.user)
    response = me.post("/api/v1/me/consents/grant/", {"channel": "push", "purpose": "personalisation"}, format="json")
    assert response.status_code == 200
    assert response.json()["record"]["source"] == "api"
    with django_capture_on_commit_callbacks(execute=True):
        response = me.post("/api/v1/me/consents/grant/", {"channel": "email", "purpose": "marketing"}, format="json")
    assert response.status_code == 202 and response.json()["confirmation_pending"] is True
    assert _cells(response.json())[("email", "marketing")]["granted"] is False
    assert [p["channel"] for p in response.json()["pending"]] == ["email"]
    assert len(mailoutbox) == 1 and ConsentRequest.objects.get().source == "api"
    response = me.post("/api/v1/me/consents/withdraw/", {"channel": "push", "purpose": "personalisation"},
                       format="json")
    assert _cells(response.json())[("push", "personalisation")]["granted"] is False
    history = me.get("/api/v1/me/consents/history/").json()["results"]
    assert [(r["channel"], r["granted"]) for r in history] == [("push", False), ("push", True), ("email", False)]
    assert len(me.get("/api/v1/me/consents/").json()["consents"]) == 20


@pytest.mark.parametrize("body, field", [({"channel": "fax", "purpose": "marketing"}, "channel"),
                                         ({"channel": "sms"}, "purpose"), ({}, "channel")])
def test_bad_own_bodies_are_400_naming_the_field(hanako, body, field):
    response = api(hanako.user).post("/api/v1/me/consents/grant/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert api(hanako.user).get("/api/v1/me/consents/", {"at": "soon"}).status_code == 400
    assert hanako.consent_records.count() == 1 and not ConsentRequest.objects.exists()


def test_staff_have_no_own_consents(staff):
    assert api(staff["hq_marketer"]).get("/api/v1/me/consents/").status_code == 403
    assert api(staff["hq_marketer"]).post("/api/v1/me/consents/grant/", {"channel": "sms", "purpose": "marketing"},
                                          format="json").status_code == 403


def test_the_older_me_consent_endpoint_confirms_email_opt_ins_by_email(hanako, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(hanako.user).post("/api/v1/me/consent/", {"channel": "email", "granted": True}, format="json")
    assert response.status_code == 200 and response.json() == {"email": False}
    assert len(mailoutbox) == 1 and ConsentRequest.objects.filter(customer=hanako).count() == 1


# --- the schema ------------------------------------------------------------------------------------

def test_the_consent_endpoints_are_in_the_schema_with_examples(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, method in [("/api/v1/customers/{customer_id}/consents/", "get"),
                         ("/api/v1/customers/{customer_id}/consents/history/", "get"),
                         ("/api/v1/customers/{customer_id}/consents/grant/", "post"),
                         ("/api/v1/customers/{customer_id}/consents/withdraw/", "post"),
                         ("/api/v1/me/consents/", "get"), ("/api/v1/me/consents/history/", "get"),
                         ("/api/v1/me/consents/grant/", "post"), ("/api/v1/me/consents/withdraw/", "post")]:
        operation = paths[path][method]
        assert "400" in operation["responses"] or method == "get" and path.endswith("history/"), path
        text = str(operation)
        assert "examples" in text, path
    grant = paths["/api/v1/customers/{customer_id}/consents/grant/"]["post"]
    assert "source" in schema["components"]["schemas"]["StaffConsentInRequest"]["required"]
    assert any(p["name"] == "at" for p in paths["/api/v1/me/consents/"]["get"]["parameters"])
    assert "渋谷店" in str(grant["requestBody"])
