"""API bodies and filters: bad input is a 400 with a clear message, never a 500 (SQLite and PostgreSQL)."""

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kernel.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db


def _admin_api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=staff["administrator"])
    return client


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [10_000, MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_is_a_400_on_the_anonymous_token_endpoint(shop, depth):
    response = APIClient().post("/api/v1/auth/token/", data=_nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert str(MAX_JSON_DEPTH) in response.json()["detail"]


def test_deeply_nested_json_is_a_400_on_every_endpoint(shop, staff):
    body = '{"lines": ' + _nested(10_000) + "}"
    response = _admin_api(staff).post("/api/v1/orders/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_within_the_depth_limit_is_read(shop, staff):
    response = APIClient().post("/api/v1/auth/token/", data=json.dumps(
        {"email": "store_staff@example.jp", "password": "pass-Word-123", "extra": json.loads(_nested(MAX_JSON_DEPTH - 1))}),
        content_type="application/json")
    assert response.status_code == 200


def test_a_nul_inside_a_json_document_is_a_400(shop, staff):
    from brandkit.services import brandkit_seed_default, draft_get_or_create

    draft = draft_get_or_create(kit=brandkit_seed_default())
    response = _admin_api(staff).patch(f"/api/v1/brandkit/versions/{draft.pk}/",
                                       data=json.dumps({"notation": {"rules": ["a\x00b"]}}),
                                       content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"] == "NUL文字は使用できません。"


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+20:00", "+15:00", "-13:00"])
def test_created_after_with_an_impossible_offset_is_a_400_on_that_field(shop, staff, place, offset):
    place()
    response = _admin_api(staff).get("/api/v1/orders/", {"created_after": f"2025-04-01T09:00:00{offset}"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"created_after"}
    assert "+14:00" in response.json()["errors"]["created_after"][0]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+09:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-10:00"])
def test_created_before_at_the_edge_of_the_calendar_is_a_400(shop, staff, place, value):
    place()
    response = _admin_api(staff).get("/api/v1/orders/", {"created_before": value})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"created_before"}


def test_created_after_with_a_real_offset_filters_by_the_instant(shop, staff, place):
    order = place()
    instant = timezone.localtime(order.created_at, timezone.get_fixed_timezone(14 * 60))
    client = _admin_api(staff)
    before = client.get("/api/v1/orders/", {"created_after": (instant.replace(microsecond=0)).isoformat()})
    after = client.get("/api/v1/orders/", {"created_after": (instant.replace(microsecond=0)
                                                             + timezone.timedelta(seconds=1)).isoformat()})
    assert [row["number"] for row in before.json()["results"]] == [order.number]
    assert after.json()["results"] == []
