"""Creating, re-addressing and deleting a customer record through the API: the same services as
the Django admin (customer_create, customer_email_change, customer_delete), with their audit rows."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from customers import services
from customers.models import Customer
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root@example.jp", "pass-Word-123")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_a_customer_created_through_the_api_follows_the_profile_rules(root):
    response = _api(root).post("/api/v1/customers/", {"family_name": "山田", "family_name_kana": "やまだ",
                                                      "email": "Taro@Example.jp"}, format="json")
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["id"])
    assert (customer.family_name_kana, customer.email) == ("ヤマダ", "taro@example.jp")
    assert AuditEntry.objects.get(action="customer_create").actor == root
    taken = _api(root).post("/api/v1/customers/", {"family_name": "偽", "email": "TARO@example.jp"}, format="json")
    assert taken.status_code == 400 and "email" in str(taken.json())


def test_an_email_changed_through_the_api_changes_the_login(shop, staff, root):
    user, customer = services.customer_sign_up(email="hanako@example.jp", password="pass-Word-123",
                                               family_name="佐藤", channel=shop.web)
    hq = staff["hq_marketer"]
    response = _api(hq).post(f"/api/v1/customers/{customer.pk}/email/", {"email": "hanako2@example.jp"},
                             format="json")
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert user.email == "hanako2@example.jp" == response.json()["email"]
    assert AuditEntry.objects.get(action="customer_email_change").actor == hq
    assert _api(hq).post(f"/api/v1/customers/{customer.pk}/email/", {"email": ""},
                         format="json").status_code == 400


def test_a_customer_is_deleted_through_the_api_unless_it_has_an_account(shop, staff, root):
    mistake = services.customer_create(family_name="間違")
    assert _api(staff["hq_marketer"]).delete(f"/api/v1/customers/{mistake.pk}/").status_code == 403
    assert _api(root).delete(f"/api/v1/customers/{mistake.pk}/").status_code == 204
    assert not Customer.objects.filter(pk=mistake.pk).exists()
    _user, member = services.customer_sign_up(email="member@example.jp", password="pass-Word-123",
                                              family_name="会員", channel=shop.web)
    response = _api(root).delete(f"/api/v1/customers/{member.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "customer_not_deletable"
