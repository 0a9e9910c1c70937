"""The merge API: staff with the merge permission merge, read the queue and dismiss; bad input
answers 400/404/409 naming the customer and stores nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers import merge
from customers.models import Customer, CustomerMerge, DuplicateCandidate, DuplicateStatus
from customers.services import customer_create
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(staff):
    def as_user(role):
        client = APIClient()
        client.force_authenticate(user=staff[role])
        return client

    return as_user


@pytest.fixture
def twins(shop):
    a = customer_create(email="hanako@example.jp", family_name="山田", given_name="花子", phone="090-1234-5678")
    b = customer_create(email="hanako2@example.jp", family_name="山田", given_name="花子", phone="09012345678")
    return a, b


def merge_url(pk):
    return reverse("api:customer-merge", args=[pk])


def test_merge_through_the_api(api, twins):
    a, b = twins
    response = api("hq_marketer").post(merge_url(a.pk), {"merged": b.pk, "reason": "same phone"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["survivor"], body["merged"], body["reason"]) == (a.pk, b.pk, "same phone")
    assert not Customer.objects.filter(pk=b.pk).exists()
    listed = api("administrator").get(merge_url(a.pk)).json()
    assert [m["merged"] for m in listed] == [b.pk]


@pytest.mark.parametrize(("role", "status"), [("store_staff", 403), ("warehouse_operator", 403), ("customer", 403)])
def test_only_merge_permission_may_merge(api, twins, role, status):
    a, b = twins
    assert api(role).post(merge_url(a.pk), {"merged": b.pk}, format="json").status_code == status
    assert api(role).get(reverse("api:customer-duplicates")).status_code == status
    assert Customer.objects.filter(pk=b.pk).exists()


def test_bad_input_names_it_and_stores_nothing(api, twins):
    a, b = twins
    client = api("hq_marketer")
    same = client.post(merge_url(a.pk), {"merged": a.pk}, format="json")
    assert same.status_code == 400 and same.json()["code"] == "merge_same_customer"
    assert "merged" in same.json()["errors"]
    unknown = client.post(merge_url(a.pk), {"merged": 987654}, format="json")
    assert unknown.status_code == 404 and "987654" in unknown.json()["detail"]
    assert unknown.json()["errors"] == {"merged": [unknown.json()["detail"]]}
    unknown_survivor = client.post(merge_url(987654), {"merged": b.pk}, format="json")
    assert unknown_survivor.status_code == 404 and "id" in unknown_survivor.json()["errors"]
    missing = client.post(merge_url(a.pk), {"reason": "x"}, format="json")
    assert missing.status_code == 400 and "merged" in missing.json()["errors"]
    not_a_number = client.post(merge_url(a.pk), {"merged": "abc"}, format="json")
    assert not_a_number.status_code == 400 and "merged" in not_a_number.json()["errors"]
    assert not CustomerMerge.objects.exists() and not AuditEntry.objects.filter(action="customer_merge").exists()
    assert client.post(merge_url(a.pk), {"merged": b.pk}, format="json").status_code == 201
    again = client.post(merge_url(a.pk), {"merged": b.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "customer_already_merged"
    assert again.json()["merged_into"] == a.pk and str(b.pk) in again.json()["detail"]
    assert CustomerMerge.objects.count() == 1


def test_queue_and_dismissal_through_the_api(api, twins):
    a, b = twins
    merge.duplicates_scan()
    client = api("hq_marketer")
    queue = client.get(reverse("api:customer-duplicates")).json()
    assert queue["count"] == 1
    item = queue["results"][0]
    assert [c["id"] for c in item["customers"]] == [a.pk, b.pk] and item["reasons"] == ["phone"]
    dismissed = client.post(reverse("api:customer-duplicate-dismiss", args=[item["id"]]))
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert client.get(reverse("api:customer-duplicates")).json()["count"] == 0
    merge.duplicates_scan()
    assert client.get(reverse("api:customer-duplicates")).json()["count"] == 0
    assert client.post(reverse("api:customer-duplicate-dismiss", args=[999])).status_code == 404


def test_dismissing_a_merged_pair_is_a_conflict(api, twins):
    a, b = twins
    merge.duplicates_scan()
    client = api("hq_marketer")
    client.post(merge_url(a.pk), {"merged": b.pk}, format="json")
    pair = DuplicateCandidate.objects.get()
    assert pair.status == DuplicateStatus.MERGED
    response = client.post(reverse("api:customer-duplicate-dismiss", args=[pair.pk]))
    assert response.status_code == 409 and response.json()["code"] == "customer_already_merged"


def test_scan_through_the_api(api, twins, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    client = api("administrator")
    assert client.get(reverse("api:customer-duplicates-scan")).status_code == 404
    started = client.post(reverse("api:customer-duplicates-scan"))
    assert started.status_code == 202 and started.json()["running"] is True
    merge.duplicates_scan_task(started.json()["id"])
    done = client.get(reverse("api:customer-duplicates-scan")).json()
    assert done["running"] is False and done["pairs_new"] == 1 and done["percent"] == 100
