"""Offer console pages and the offers API: permissions, field errors, the batch progress row
polled by htmx, the streamed CSV export, and the code check a till makes before the order."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import offers
from campaigns.models import Campaign, CodeBatch, Offer, OfferCode
from tests.campaigns.offers_world import make_offer, shared

MARKETER_PERMISSIONS = ["view_offer", "add_offer", "change_offer", "export_codes"]


@pytest.fixture
def marketer(staff):
    user = staff["hq_marketer"]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="campaigns",
                                                         codename__in=MARKETER_PERMISSIONS))
    return user


@pytest.fixture
def clerk(staff):
    user = staff["store_staff"]
    user.user_permissions.add(Permission.objects.get(content_type__app_label="campaigns", codename="view_offer"))
    return user


def test_offer_list_shows_usage_and_budget_in_constant_queries(client, marketer, django_assert_num_queries):
    for index in range(3):
        make_offer(marketer, name=f"オファー{index}", budget=100000)
    Offer.objects.filter(name="オファー1").update(spent=25000, redeemed=7)
    client.force_login(marketer)
    response = client.get("/console/offers/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "オファー1" in page and "¥25,000" in page and 'max="100000" value="25000"' in page
    with CaptureQueriesContext(connection) as three:
        client.get("/console/offers/")
    make_offer(marketer, name="オファー9", campaign=Campaign.objects.create(name="春セール"))
    with django_assert_num_queries(len(three)):
        client.get("/console/offers/")


def test_store_staff_without_the_permission_cannot_open_offers(client, staff):
    client.force_login(staff["store_staff"])
    assert client.get("/console/offers/").status_code == 403


def test_store_staff_with_view_only_cannot_create(client, clerk):
    client.force_login(clerk)
    assert client.get("/console/offers/").status_code == 200
    assert client.get("/console/offers/new/").status_code == 403


def test_offer_form_shows_the_service_error_on_its_field(client, marketer):
    client.force_login(marketer)
    response = client.post("/console/offers/new/", {"name": "割引", "kind": "percent", "value": "150",
                                                     "is_active": "on"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["value"]
    assert 'class="field field-invalid"' in response.content.decode()
    assert not Offer.objects.exists()


def test_offer_form_creates_then_edits_an_offer(client, marketer, shop):
    client.force_login(marketer)
    response = client.post("/console/offers/new/", {
        "name": "シャツ500円引き", "kind": "fixed", "value": "500", "categories": ["シャツ"],
        "channel_kinds": ["pos"], "min_spend": "3000", "is_active": "on"})
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/offers/{offer.pk}/"
    assert (offer.value, offer.categories, offer.channel_kinds, offer.min_spend) == (500, ["シャツ"], ["pos"], 3000)
    client.post(f"/console/offers/{offer.pk}/edit/", {"name": "シャツ600円引き", "kind": "fixed", "value": "600",
                                                      "is_active": "on"})
    offer.refresh_from_db()
    assert (offer.name, offer.value, offer.categories) == ("シャツ600円引き", 600, [])


def test_detail_adds_a_shared_code_and_names_a_duplicate(client, marketer):
    offer = make_offer(marketer)
    client.force_login(marketer)
    assert client.post(f"/console/offers/{offer.pk}/codes/", {"code": "spring-10"}).status_code == 302
    response = client.post(f"/console/offers/{offer.pk}/codes/", {"code": "SPRING10"})
    assert response.status_code == 400
    assert list(response.context["code_form"].errors) == ["code"]
    assert "SPRING10" in client.get(f"/console/offers/{offer.pk}/").content.decode()


def test_generating_codes_shows_a_batch_row_that_polls_until_done(client, marketer):
    offer = make_offer(marketer)
    client.force_login(marketer)
    batch = offers.codes_generate(offer=offer, count=40, acting_user=marketer)  # queued: the job has not run
    page = client.get(f"/console/offers/{offer.pk}/").content.decode()
    progress_url = f"/console/offers/{offer.pk}/batches/{batch.pk}/"
    assert f'hx-get="{progress_url}"' in page
    offers.code_batch_fill(batch.pk)
    row = client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in row and "40 / 40" in row and f"?batch={batch.pk}" in row


def test_generate_form_starts_the_job(client, marketer, django_capture_on_commit_callbacks):
    offer = make_offer(marketer)
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/offers/{offer.pk}/codes/generate/", {"count": "25", "prefix": "PC"})
    assert response.status_code == 302
    batch = CodeBatch.objects.get()
    assert (batch.status, batch.generated) == ("done", 25)


def test_export_streams_a_bom_csv_and_needs_its_permission(client, marketer, clerk):
    offer = make_offer(marketer)
    shared(offer, code="SPRING10")
    client.force_login(marketer)
    response = client.get(f"/console/offers/{offer.pk}/codes/export/")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1][:2] == ["SPRI-NG10", "SPRING10"]
    client.force_login(clerk)
    assert client.get(f"/console/offers/{offer.pk}/codes/export/").status_code == 403


# --- API ---------------------------------------------------------------------------------------

def test_api_creates_an_offer_and_names_the_bad_field(client, marketer):
    client.force_login(marketer)
    bad = client.post("/api/v1/offers/", {"name": "x", "kind": "percent", "value": 0}, content_type="application/json")
    assert bad.status_code == 400 and "value" in bad.json()["errors"]
    made = client.post("/api/v1/offers/", {"name": "春の10%オフ", "kind": "percent", "value": 10,
                                           "channel_kinds": ["web"]}, content_type="application/json")
    assert made.status_code == 201 and made.json()["channel_kinds"] == ["web"]
    offer_id = made.json()["id"]
    changed = client.patch(f"/api/v1/offers/{offer_id}/", {"is_active": False}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["is_active"] is False


def test_api_adds_a_shared_code_and_generates_a_batch(client, marketer, django_capture_on_commit_callbacks):
    offer = make_offer(marketer)
    client.force_login(marketer)
    code = client.post(f"/api/v1/offers/{offer.pk}/codes/", {"kind": "shared", "code": "summer-24"},
                       content_type="application/json")
    assert code.status_code == 201 and code.json()["code"] == "SUMMER24"
    with django_capture_on_commit_callbacks(execute=True):
        batch = client.post(f"/api/v1/offers/{offer.pk}/codes/", {"kind": "single_use", "count": 30},
                            content_type="application/json")
    assert batch.status_code == 202
    status = client.get(f"/api/v1/offers/{offer.pk}/batches/{batch.json()['id']}/").json()
    assert (status["status"], status["generated"], status["percent"]) == ("done", 30, 100)
    listing = client.get(f"/api/v1/offers/{offer.pk}/codes/").json()
    assert [c["code"] for c in listing["shared"]] == ["SUMMER24"] and len(listing["batches"]) == 1


def test_api_validate_gives_the_discount_or_the_reason(client, clerk, marketer, shop):
    offer = make_offer(marketer, channel_kinds=["pos"])
    shared(offer, code="TILL10")
    client.force_login(clerk)
    ok = client.post("/api/v1/offers/codes/validate/", {
        "code": "till-10", "channel": shop.pos_a.code, "lines": [{"sku": "LS-S", "quantity": 2}]},
        content_type="application/json").json()
    assert ok == {"valid": True, "code": "TILL10", "offer": offer.pk, "label": offer.name, "campaign": None,
                  "discount": 1100, "free_shipping": False}
    wrong = client.post("/api/v1/offers/codes/validate/", {"code": "TILL10", "channel": "web", "subtotal": 5000},
                        content_type="application/json").json()
    assert (wrong["valid"], wrong["reason"]) == (False, "wrong_channel")
    bad = client.post("/api/v1/offers/codes/validate/", {"code": "TILL10", "channel": shop.pos_a.code,
                                                         "lines": [{"sku": "NOPE", "quantity": 1}]},
                      content_type="application/json")
    assert bad.status_code == 400 and "lines.0.sku" in bad.json()["errors"]
    assert OfferCode.objects.get().uses == 0  # validate never redeems


def test_api_validate_is_for_marketers_and_the_till_not_the_warehouse(client, staff):
    client.force_login(staff["warehouse_operator"])
    response = client.post("/api/v1/offers/codes/validate/", {"code": "X", "channel": "web"},
                           content_type="application/json")
    assert response.status_code == 403
    client.force_login(staff["store_staff"])  # rings up sales: may check a code before the sale
    response = client.post("/api/v1/offers/codes/validate/", {"code": "X", "channel": "web"},
                           content_type="application/json")
    assert response.status_code != 403


def test_offer_detail_reads_in_constant_queries_as_codes_and_batches_grow(client, marketer, shop,
                                                                          django_assert_num_queries):
    from tests.campaigns.offers_world import context, line

    offer = make_offer(marketer)
    shared(offer, code="FIRST1")
    client.force_login(marketer)
    assert client.get(f"/console/offers/{offer.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as few:
        client.get(f"/console/offers/{offer.pk}/")
    for index in range(3):
        shared(offer, code=f"MORE{index}A")
        offers.code_batch_fill(offers.codes_generate(offer=offer, count=5, acting_user=marketer).pk)
        lines = [line()]
        ctx = context(lines=lines, codes=[f"MORE{index}A"], channel=shop.web)
        provider = offers.OfferDiscounts()
        provider.commit(order_id=index, order_number=f"W-{index}", lines=lines, context=ctx,
                        result=provider.evaluate(lines=lines, context=ctx))
    with django_assert_num_queries(len(few)):
        page = client.get(f"/console/offers/{offer.pk}/").content.decode()
    assert "W-2" in page and "MORE2A" in page
