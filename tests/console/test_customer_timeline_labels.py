"""The customer timeline names what each event is about as people read it ("注文 W00004348",
"商品 LS-S リネンシャツ S") with a link, never by its machine key (``sku:LS-S``,
``order:W00004348:ready``), resolved in bulk whatever the number of events."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from customers import selectors
from customers.models import EventKind
from customers.services import event_record, product_view_record
from kernel.subjects import SubjectLabel, split, subject_labels
from orders import services as orders

from .conftest import place_pickup

pytestmark = pytest.mark.django_db

RAW_KEY = re.compile(r"\b(?:sku|order|product):[A-Za-z0-9]")


def _touchpoints(client, shop, customer, *, views: int = 1) -> str:
    """Product views and cart adds through the storefront (the customer's own client), an
    order made ready with its emails sent; returns the order number."""
    client.force_login(customer.user)
    for _ in range(views):
        product_view_record(customer=customer, code="linen-shirt", name="リネンシャツ")  # what the events script sends
        client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "1"})
    order = place_pickup(shop, location=shop.store_a, customer=customer)
    orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    client.logout()
    return order.number


def _send_emails(django_capture_on_commit_callbacks, shop, customer) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        order = place_pickup(shop, location=shop.store_a, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    return order.number


def test_the_customer_page_shows_products_and_orders_by_name_with_links(client, shop, staff, customer,
                                                                        django_capture_on_commit_callbacks):
    number = _touchpoints(client, shop, customer)
    emailed = _send_emails(django_capture_on_commit_callbacks, shop, customer)
    assert customer.events.filter(kind=EventKind.EMAIL_SENT).count() == 2
    client.force_login(staff["hq_marketer"])
    with translation.override("ja"):
        response = client.get(reverse("console:customer_detail", kwargs={"pk": customer.pk}),
                              headers={"Accept-Language": "ja"})
    html = response.content.decode()
    assert RAW_KEY.findall(html) == []
    product_url = reverse("console:product_detail", kwargs={"pk": shop.product.pk})
    assert f'<a href="{product_url}">商品 LS-S</a> <span class="muted">リネンシャツ S</span>' in html  # cart add
    assert f'<a href="{product_url}">商品 linen-shirt</a> <span class="muted">リネンシャツ</span>' in html  # view
    order_url = reverse("console:order_detail", kwargs={"number": number})
    assert f'<a href="{order_url}">注文 {number}</a>' in html
    emailed_url = reverse("console:order_detail", kwargs={"number": emailed})
    assert f'<a href="{emailed_url}">注文 {emailed}</a> <span class="muted">受け取り準備完了のお知らせメール</span>' in html
    assert f'<a href="{emailed_url}">注文 {emailed}</a> <span class="muted">ご注文確認メール</span>' in html


def test_the_labels_are_english_in_english(client, shop, staff, customer):
    number = _touchpoints(client, shop, customer)
    client.force_login(staff["store_staff"])
    with translation.override("en"):
        labels = {event.subject: event.subject_label for event in selectors.customer_timeline(customer=customer)}
    assert (labels["sku:LS-S"].text, labels["sku:LS-S"].detail) == ("Product LS-S", "リネンシャツ S")
    assert labels[f"order:{number}"].text == f"Order {number}"


def test_the_api_timeline_has_the_labels_beside_the_keys(client, shop, staff, customer):
    number = _touchpoints(client, shop, customer)
    api = APIClient()
    api.force_authenticate(user=staff["store_staff"])
    rows = api.get(f"/api/v1/customers/{customer.pk}/events/").json()["results"]
    by_subject = {row["subject"]: row for row in rows if row["subject"]}
    assert (by_subject["sku:LS-S"]["subject_label"], by_subject["sku:LS-S"]["subject_detail"]) == (
        "商品 LS-S", "リネンシャツ S")
    assert by_subject[f"order:{number}"]["subject_label"] == f"注文 {number}"
    signed_up = next(row for row in rows if row["kind"] == EventKind.SIGNED_UP)
    assert (signed_up["subject_label"], signed_up["subject_detail"]) == ("", "")


def test_links_need_the_permission_of_the_page_they_open(shop, customer):
    order = place_pickup(shop, location=shop.store_a, customer=customer)
    keys = [f"order:{order.number}", "sku:LS-S"]
    assert all(label.url for label in subject_labels(keys).values())
    nobody = get_user_model().objects.create_user("nobody@example.jp", "pass-Word-123")
    assert [label.url for label in subject_labels(keys, user=nobody).values()] == ["", ""]


def test_a_subject_no_app_resolves_shows_its_reference_and_a_gone_product_its_code(shop):
    with translation.override("en"):
        labels = subject_labels(["campaign:spring-linen", "sku:GONE-1", "loose", ""])
    assert labels == {"campaign:spring-linen": SubjectLabel(text="spring-linen"),
                      "sku:GONE-1": SubjectLabel(text="Product GONE-1"), "loose": SubjectLabel(text="loose")}
    assert split("order:W00000001:ready") == ("order", "W00000001:ready")


def _events_of(customer, count: int) -> list:
    return list(selectors.customer_events(customer=customer)[:count])


def test_labelling_events_takes_the_same_queries_for_1_and_for_20(shop, customer, django_assert_num_queries):
    """One query per kind of subject that needs one (orders need none), however many events."""
    shop_events = []
    for index in range(10):
        shop_events.append(product_view_record(customer=customer, code="linen-shirt", name="リネンシャツ"))
        shop_events.append(event_record(customer=customer, kind=EventKind.CART_ADDED,
                                        subject="sku:LS-L" if index % 2 else "sku:LS-S"))
    one, twenty = _events_of(customer, 2), _events_of(customer, 20)
    assert {e.subject.partition(":")[0] for e in one} == {"sku", "product"}
    with django_assert_num_queries(2):
        selectors.events_labelled(one)
    with django_assert_num_queries(2):
        labelled = selectors.events_labelled(twenty)
    assert all(event.subject_label.url for event in labelled)


def test_the_customer_page_runs_the_same_queries_with_1_and_with_20_touchpoints(client, shop, staff, customer,
                                                                               django_assert_num_queries):
    _touchpoints(client, shop, customer, views=1)
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customer_detail", kwargs={"pk": customer.pk})
    client.get(url)  # warm the per-process caches (content types, the resolvers)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    few = len(captured)  # now: the next request clears the log
    _touchpoints(client, shop, customer, views=20)
    client.force_login(staff["hq_marketer"])
    assert customer.events.count() > 40
    with django_assert_num_queries(few):
        response = client.get(url)
    assert RAW_KEY.findall(response.content.decode()) == []
