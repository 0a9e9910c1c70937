"""The registers API: list, open, close with a count, sessions with their day report; scoped to
the store; 400 bodies naming the field; nothing changes on refusal."""

import pytest
from django.utils import timezone

from inventory import services as inventory
from orders import registers
from orders.models import Register, RegisterSession
from tests.orders.registers_data import CARD, CASH, refund, sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(shop):
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=30, reference="PO-9")
    return registers.register_create(location=shop.store_a, code="1", name="レジ1")


def test_store_staff_list_their_store_registers_only(api, staff, shop, register):
    registers.register_create(location=shop.store_b, code="1", name="梅田レジ")
    body = api(staff["store_staff"]).get("/api/v1/registers/").json()
    assert [(r["location"], r["code"], r["current_session"]) for r in body["results"]] == [("shibuya", "1", None)]
    assert len(api(staff["hq_marketer"]).get("/api/v1/registers/").json()["results"]) == 2
    assert api(staff["warehouse_operator"]).get("/api/v1/registers/").status_code == 403
    assert api().get("/api/v1/registers/").status_code in (401, 403)


def test_open_then_open_again_is_a_400_naming_the_register(api, staff, register):
    client = api(staff["store_staff"])
    opened = client.post(f"/api/v1/registers/{register.pk}/open/", {"opening_float": 30000}, format="json")
    assert opened.status_code == 201
    assert opened.json()["opening_float"] == 30000 and opened.json()["is_open"] is True
    assert opened.json()["opened_by"] == staff["store_staff"].email
    again = client.post(f"/api/v1/registers/{register.pk}/open/", {"opening_float": 10}, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid" and list(again.json()["errors"]) == ["register"]
    assert list(RegisterSession.objects.values_list("opening_float", flat=True)) == [30000]


@pytest.mark.parametrize("payload, key", [({}, "opening_float"), ({"opening_float": -1}, "opening_float"),
                                          ({"opening_float": "lots"}, "opening_float")])
def test_a_bad_float_is_a_400(api, staff, register, payload, key):
    response = api(staff["store_staff"]).post(f"/api/v1/registers/{register.pk}/open/", payload, format="json")
    assert response.status_code == 400 and key in response.json()["errors"]
    assert not RegisterSession.objects.exists()


def test_close_with_a_count_returns_the_report_and_closing_twice_is_a_400(api, staff, shop, register):
    session = registers.register_open(register=register, opening_float=30000)
    order = sale(shop, session, (CASH, 10000))
    sale(shop, session, (CARD, 5500, "slip"))
    refund(order, session, CASH, 1000)
    client = api(staff["store_staff"])
    current = client.get("/api/v1/registers/").json()["results"][0]["current_session"]
    assert current["id"] == session.pk and current["expected_now"] == 34500
    closed = client.post(f"/api/v1/register-sessions/{session.pk}/close/",
                         {"cash_count": {"10000": 3, "1000": 4, "100": 4}, "note": "¥100 short"}, format="json")
    assert closed.status_code == 200
    body = closed.json()
    assert (body["expected_cash"], body["counted_cash"], body["over_short"]) == (34500, 34400, -100)
    assert body["cash_count"] == {"10000": 3, "1000": 4, "100": 4}
    report = body["report"]
    assert report["sales"] == {"count": 2, "amount": 11000, "items": 2}
    assert report["returns"] == {"count": 1, "amount": 1000}
    assert report["net"] == 10000 and sum(t["net"] for t in report["tenders"]) == 10000
    assert report["cash"]["expected"] == 34500 and report["cash"]["over_short"] == -100
    assert report["tax"] == [{"rate": 10, "total": 11000, "tax": 1000, "net": 10000}]
    again = client.post(f"/api/v1/register-sessions/{session.pk}/close/", {"counted_cash": 1}, format="json")
    assert again.status_code == 400 and list(again.json()["errors"]) == ["session"]
    session.refresh_from_db()
    assert session.counted_cash == 34400


@pytest.mark.parametrize("payload, key", [
    ({}, "counted_cash"),
    ({"cash_count": {"3000": 1}}, "cash_count.3000"),
    ({"cash_count": {"1000": -1}}, "cash_count.1000"),
    ({"cash_count": {"1000": 1}, "counted_cash": 5}, "counted_cash"),
    ({"counted_cash": 100, "note": "x" * 201}, "note"),
])
def test_a_bad_count_is_a_400_and_the_session_stays_open(api, staff, register, payload, key):
    session = registers.register_open(register=register, opening_float=30000)
    response = api(staff["store_staff"]).post(f"/api/v1/register-sessions/{session.pk}/close/", payload,
                                              format="json")
    assert response.status_code == 400
    assert key in response.json()["errors"], response.json()
    session.refresh_from_db()
    assert session.is_open


def test_other_stores_sessions_are_404_and_hq_cannot_close(api, staff, register):
    session = registers.register_open(register=register, opening_float=30000)
    other = api(staff["store_staff_b"])
    assert other.get(f"/api/v1/register-sessions/{session.pk}/").status_code == 404
    assert other.post(f"/api/v1/register-sessions/{session.pk}/close/", {"counted_cash": 1},
                      format="json").status_code == 404
    assert other.post(f"/api/v1/registers/{register.pk}/open/", {"opening_float": 1}, format="json").status_code == 404
    hq = api(staff["hq_marketer"])
    assert hq.get(f"/api/v1/register-sessions/{session.pk}/").json()["report"]["cash"]["expected"] == 30000
    assert hq.post(f"/api/v1/register-sessions/{session.pk}/close/", {"counted_cash": 1},
                   format="json").status_code == 403
    session.refresh_from_db()
    assert session.is_open


def test_sessions_list_filters_and_the_store_day_report(api, staff, shop, register):
    session = registers.register_open(register=register, opening_float=30000)
    sale(shop, session, (CASH, 6000))
    registers.register_close(session=session, counted_cash=35500)
    registers.register_open(register=register, opening_float=20000)
    client = api(staff["store_staff"])
    assert len(client.get("/api/v1/register-sessions/").json()["results"]) == 2
    assert [s["id"] for s in client.get("/api/v1/register-sessions/", {"open": "false"}).json()["results"]] == [
        session.pk]
    today = timezone.localdate().isoformat()
    assert len(client.get("/api/v1/register-sessions/", {"date": today}).json()["results"]) == 2
    assert client.get("/api/v1/register-sessions/", {"date": "yesterday"}).status_code == 400
    day = client.get("/api/v1/registers/day-report/", {"location": "shibuya", "date": today}).json()
    assert day["location"] == "shibuya" and day["business_date"] == today
    assert day["cash"]["opening_float"] == 50000 and day["cash"]["over_short"] == 0 and day["closed"] is False
    assert client.get("/api/v1/registers/day-report/", {"location": "umeda"}).status_code == 404
    bad = client.get("/api/v1/registers/day-report/", {"date": "2026-13-40"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"location", "date"}


def test_administrators_set_registers_up_through_the_api(api, staff, shop):
    client = api(staff["administrator"])
    created = client.post("/api/v1/registers/", {"location": "umeda", "code": "2", "name": "レジ2"}, format="json")
    assert created.status_code == 201 and created.json()["location"] == "umeda"
    twice = client.post("/api/v1/registers/", {"location": "umeda", "code": "2", "name": "x"}, format="json")
    assert twice.status_code == 400 and "code" in twice.json()["errors"]
    staff_create = api(staff["store_staff"]).post("/api/v1/registers/", {"location": "shibuya", "code": "9",
                                                                         "name": "x"}, format="json")
    assert staff_create.status_code == 403
    assert Register.objects.count() == 1
