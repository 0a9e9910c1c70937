"""The console's review queue and "merge with...": who may open them, side-by-side comparison,
merge and dismiss with htmx, and constant query counts."""

import pytest
from django.urls import reverse

from customers import merge
from customers.models import Customer, CustomerMerge, DuplicateCandidate, DuplicateStatus
from customers.services import consent_set, customer_create
from tests.console.conftest import place_delivery

pytestmark = pytest.mark.django_db


def make_pairs(shop, n, start=0):
    made = []
    for i in range(start, start + n):
        a = customer_create(email=f"a{i}@example.jp", family_name="山田", given_name=f"花子{i}",
                            phone=f"090-0000-{i:04d}", postal_code="150-0001",
                            favourite_location=shop.store_a)  # read with the pair, not once per customer
        b = customer_create(email=f"b{i}@example.jp", family_name="山田", given_name=f"花子{i}",
                            phone=f"090-0000-{i:04d}")
        place_delivery(shop, customer=b)
        consent_set(customer=a, channel="email", granted=True, source="pos")
        made.append((a, b))
    merge.duplicates_scan()
    return made


@pytest.fixture
def hq_client(client, staff):
    client.force_login(staff["hq_marketer"])
    return client


@pytest.mark.parametrize(("role", "status"), [("hq_marketer", 200), ("administrator", 200), ("store_staff", 403),
                                              ("warehouse_operator", 403)])
def test_queue_is_for_marketers_and_administrators(client, staff, shop, role, status):
    client.force_login(staff[role])
    assert client.get(reverse("console:duplicates")).status_code == status
    nav = client.get(reverse("console:customers"))
    assert (reverse("console:duplicates") in nav.content.decode()) == (status == 200) or nav.status_code == 403


def test_queue_shows_pairs_side_by_side_in_constant_queries(hq_client, shop, django_assert_max_num_queries):
    make_pairs(shop, 1)
    with django_assert_max_num_queries(40) as one:
        hq_client.get(reverse("console:duplicates"))
    make_pairs_more = make_pairs(shop, 5, start=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = hq_client.get(reverse("console:duplicates"))
    page = response.content.decode()
    a, b = make_pairs_more[-1]
    assert f"#{a.pk}" in page and f"#{b.pk}" in page and "a5@example.jp" in page and "b5@example.jp" in page
    assert "150-0001" in page


def test_merge_from_the_queue_with_htmx(hq_client, shop):
    (a, b), = make_pairs(shop, 1)
    candidate = DuplicateCandidate.objects.get()
    response = hq_client.post(reverse("console:duplicate_merge", args=[candidate.pk]),
                              {f"d{candidate.pk}-survivor": b.pk, f"d{candidate.pk}-reason": "same phone"},
                              HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"pair-{candidate.pk}")
    assert response.status_code == 200
    assert f'id="pair-{candidate.pk}"' in response.content.decode()
    assert not Customer.objects.filter(pk=a.pk).exists()
    record = CustomerMerge.objects.get()
    assert (record.survivor_id, record.merged_pk, record.reason) == (b.pk, a.pk, "same phone")
    detail = hq_client.get(reverse("console:customer_detail", args=[b.pk])).content.decode()
    assert f"#{a.pk}" in detail and "a0@example.jp" in detail


def test_merge_without_choosing_shows_the_error_and_changes_nothing(hq_client, shop):
    make_pairs(shop, 1)
    candidate = DuplicateCandidate.objects.get()
    response = hq_client.post(reverse("console:duplicate_merge", args=[candidate.pk]),
                              {f"d{candidate.pk}-survivor": "12345"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
    assert Customer.objects.count() == 2 and not CustomerMerge.objects.exists()


def test_dismiss_from_the_queue(hq_client, shop):
    make_pairs(shop, 1)
    candidate = DuplicateCandidate.objects.get()
    response = hq_client.post(reverse("console:duplicate_dismiss", args=[candidate.pk]))
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISMISSED
    assert "a0@example.jp" not in hq_client.get(reverse("console:duplicates")).content.decode()


def test_merge_with_from_a_customer_page(hq_client, shop):
    (a, b), = make_pairs(shop, 1)
    url = reverse("console:customer_merge_with", args=[a.pk])
    found = hq_client.get(url, {"q": "b0@example.jp"})
    assert found.status_code == 200 and f"other={b.pk}" in found.content.decode()
    compared = hq_client.get(url, {"other": b.pk})
    assert "b0@example.jp" in compared.content.decode() and "a0@example.jp" in compared.content.decode()
    refused = hq_client.post(url, {"other": a.pk, "survivor": a.pk})
    assert refused.status_code == 400 and Customer.objects.count() == 2
    response = hq_client.post(url, {"other": b.pk, "survivor": a.pk, "reason": "counter"})
    assert response.status_code == 302 and response["Location"] == reverse("console:customer_detail", args=[a.pk])
    assert not Customer.objects.filter(pk=b.pk).exists() and a.orders.count() == 1


def test_scan_button_and_progress(hq_client, shop, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    response = hq_client.post(reverse("console:duplicates_scan"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<progress" in response.content.decode()
    status = hq_client.get(reverse("console:duplicates_scan_status"))
    assert 'hx-trigger="every 2s"' in status.content.decode()


def test_customer_page_shows_merge_link_only_with_permission(client, staff, shop):
    customer = customer_create(email="x@example.jp", family_name="山田")
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:customer_detail", args=[customer.pk])).content.decode()
    assert reverse("console:customer_merge_with", args=[customer.pk]) not in page
    client.force_login(staff["hq_marketer"])
    page = client.get(reverse("console:customer_detail", args=[customer.pk])).content.decode()
    assert reverse("console:customer_merge_with", args=[customer.pk]) in page
