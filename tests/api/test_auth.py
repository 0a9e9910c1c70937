"""Token and session authentication."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_email_and_password_give_a_token_that_authenticates(shop, staff):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"email": "store_staff@example.jp", "password": "pass-Word-123"},
                           format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["email"] == "store_staff@example.jp"
    assert client.get("/api/v1/stock-levels/").status_code == 200


def test_the_same_user_gets_the_same_token_again(shop, staff):
    body = {"email": "STORE_STAFF@example.jp", "password": "pass-Word-123"}
    first = APIClient().post("/api/v1/auth/token/", body, format="json").json()["token"]
    second = APIClient().post("/api/v1/auth/token/", body, format="json").json()["token"]
    assert first == second


@pytest.mark.parametrize(
    "body",
    [{"email": "store_staff@example.jp", "password": "wrong"}, {"email": "nobody@example.jp", "password": "x"},
     {"email": "not-an-email", "password": "x"}, {"email": ["a"], "password": 1}, {}],
)
def test_bad_credentials_are_400_without_a_token(shop, staff, body):
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "token" not in response.json()


def test_a_wrong_token_is_401(shop, staff):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_session_auth_works_for_reads(shop, staff, client):
    client.force_login(staff["store_staff"])
    assert client.get("/api/v1/orders/").status_code == 200


def test_session_auth_writes_need_the_csrf_token(shop, staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["store_staff"])
    response = client.post("/api/v1/orders/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
