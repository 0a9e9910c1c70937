"""The console customer page: identities staff add and remove, and the RFM / CLV card."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import identities, services
from customers.models import Identity
from customers.scores import scores_recompute
from kernel.models import AuditEntry
from orders import services as orders
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(shop):
    return services.customer_create(family_name="山田", given_name="花子", email="hanako@example.jp",
                                    phone="090-1234-5678")


def _add(client, customer, htmx=True, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("console:customer_identity_add", args=[customer.pk]), data, headers=headers)


def test_staff_add_a_loyalty_card_and_see_it_on_the_page(client, staff, hanako):
    client.force_login(staff["hq_marketer"])
    response = _add(client, hanako, kind="loyalty_card", value="１２３４ ５６７８")
    assert response.status_code == 200
    assert Identity.objects.filter(customer=hanako, kind="loyalty_card", value="12345678").exists()
    assert "12345678" in response.content.decode()
    assert AuditEntry.objects.filter(action="identity_add", actor=staff["hq_marketer"]).count() == 1
    page = client.get(reverse("console:customer_detail", args=[hanako.pk])).content.decode()
    assert 'id="identities"' in page and "12345678" in page and "hanako@example.jp" in page


def test_a_key_another_customer_holds_is_refused_beside_the_field(client, staff, hanako):
    other = services.customer_create(family_name="佐藤", email="sato@example.jp")
    identities.identity_add(customer=other, kind="line", value="U" + "a1" * 16, source="line-login")
    client.force_login(staff["hq_marketer"])
    body = _add(client, hanako, kind="line", value="U" + "a1" * 16).content.decode()
    assert f"#{other.pk}" in body
    assert not hanako.identities.filter(kind="line").exists()
    response = _add(client, hanako, htmx=False, kind="browser", value="x")  # not a kind staff add
    assert response.status_code == 302
    assert not hanako.identities.filter(kind="browser").exists()


def test_remove_an_identity_but_never_the_profile_s_own_email(client, staff, hanako):
    card = identities.identity_add(customer=hanako, kind="loyalty_card", value="999999", source="pos")
    client.force_login(staff["administrator"])
    url = reverse("console:customer_identity_remove", args=[hanako.pk, card.pk])
    assert client.post(url, headers={"HX-Request": "true"}).status_code == 200
    assert not Identity.objects.filter(pk=card.pk).exists()
    own = hanako.identities.get(kind="email")
    body = client.post(reverse("console:customer_identity_remove", args=[hanako.pk, own.pk]),
                       headers={"HX-Request": "true"}).content.decode()
    assert Identity.objects.filter(pk=own.pk).exists() and 'role="alert"' in body


def test_store_staff_see_identities_but_cannot_change_them(client, staff, hanako):
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:customer_detail", args=[hanako.pk])).content.decode()
    assert "hanako@example.jp" in page and 'name="value"' not in page.split('id="identities"')[1].split("</section>")[0]
    assert _add(client, hanako, kind="loyalty_card", value="1").status_code == 403


def test_the_rfm_card_shows_the_scores_in_constant_queries(client, staff, shop, hanako):
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customer_detail", args=[hanako.pk])
    assert not re.search(r"R[1-5] F[1-5]", client.get(url).content.decode())
    orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    scores_recompute()
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    card = page.split('id="scores"')[1].split("</section>")[0]
    assert re.search(r"R[1-5] F[1-5] M[1-5]", card) and "¥5,500" in card
    for n in range(3):
        identities.identity_add(customer=hanako, kind="loyalty_card", value=f"100000{n}", source="pos")
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(first)
