"""The issue's walking skeleton through the REST API only, each actor with their own token:
HQ creates a product (two sizes, EAN-13 each) with a photo; stock is received at the
warehouse and two stores by the people working there; a customer orders one unit for pickup
at store A (idempotently); store A's staff mark it ready (the customer is emailed), find it by
pickup code, name and phone, and hand it over; stock drops through a ledger row; every step
is on the customer's timeline."""

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from customers.models import EventKind
from customers.services import customer_sign_up
from inventory.models import MovementReason, StockMovement
from inventory.selectors import ledger_balance
from kernel import channels, roles
from kernel.models import Location, LocationKind

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Word-123"
SIZES = [("S", "4901234567894"), ("M", "4901234567870")]


def token_client(email: str) -> APIClient:
    """Log in through the API and return a client that sends the token."""
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def person(email: str, role: str | None = None, location=None):
    user = get_user_model().objects.create_user(email, PASSWORD, display_name=email.split("@")[0])
    if role:
        roles.assign_role(user, role, location=location)
    return user


def photo() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (1600, 1200), (210, 190, 160)).save(buffer, format="JPEG")
    return SimpleUploadedFile("linen.jpg", buffer.getvalue(), content_type="image/jpeg")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def world(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    warehouse = Location.objects.create(code="wh-kanto", name="関東倉庫", kind=LocationKind.WAREHOUSE,
                                        prefecture="11", ships_orders=True)
    store_a = Location.objects.create(code="shibuya", name="渋谷店", kind=LocationKind.STORE, prefecture="13",
                                      offers_pickup=True)
    store_b = Location.objects.create(code="umeda", name="梅田店", kind=LocationKind.STORE, prefecture="27",
                                      offers_pickup=True)
    channels.web_channel()
    person("hq@example.jp", roles.HQ_MARKETER)
    person("wh@example.jp", roles.WAREHOUSE_OPERATOR, warehouse)
    person("shibuya@example.jp", roles.STORE_STAFF, store_a)
    person("umeda@example.jp", roles.STORE_STAFF, store_b)
    # the customer signs up on the storefront (the API has no sign-up), with email consent
    customer_sign_up(email="hanako@example.jp", password=PASSWORD, family_name="山田", given_name="花子",
                     family_name_kana="ヤマダ", given_name_kana="ハナコ", phone="090-1234-5678",
                     email_marketing=True)
    return {"store_a": store_a}


def test_walking_skeleton_through_the_api(world, mailoutbox, django_capture_on_commit_callbacks):
    hq, warehouse_op = token_client("hq@example.jp"), token_client("wh@example.jp")
    staff_a, staff_b = token_client("shibuya@example.jp"), token_client("umeda@example.jp")
    shopper = token_client("hanako@example.jp")

    # 1. HQ creates the product with two sizes and uploads its photo
    product = ok(hq.post("/api/v1/products/", {
        "code": "linen-shirt", "name": "リネンシャツ", "category": "シャツ", "tax_class": "standard",
        "description": "麻100%のシャツ。",
        "variants": [{"sku": f"LS-{size}", "barcode": barcode, "price": 5500, "size": size}
                     for size, barcode in SIZES],
    }, format="json", HTTP_IDEMPOTENCY_KEY="create-linen-shirt"), 201)
    assert [(v["sku"], v["barcode"]) for v in product["variants"]] == [("LS-S", "4901234567894"),
                                                                      ("LS-M", "4901234567870")]
    image = ok(hq.post("/api/v1/products/linen-shirt/images/", {"image": photo()}, format="multipart"), 201)
    assert image["thumbnail"].endswith(".webp") and image["large"].endswith(".webp")
    bad = hq.post("/api/v1/products/linen-shirt/variants/", {"sku": "LS-L", "barcode": "4901234567888",
                                                             "price": 5500}, format="json")
    assert bad.status_code == 400 and "barcode" in bad.json()["errors"]  # EAN-13 check digit

    # 2. stock is received where it arrives, by the people working there
    for client, location, quantity in [(warehouse_op, "wh-kanto", 20), (staff_a, "shibuya", 3),
                                       (staff_b, "umeda", 2)]:
        for size, _barcode in SIZES:
            ok(client.post("/api/v1/stock-receipts/", {"sku": f"LS-{size}", "location": location,
                                                       "quantity": quantity, "reference": "PO-1"},
                           format="json"), 201)
    assert staff_b.post("/api/v1/stock-receipts/", {"sku": "LS-S", "location": "shibuya", "quantity": 1},
                        format="json").status_code == 403  # not their store

    # 3. the customer orders one unit for pickup at store A; a retry with the same key is the same order
    body = {"channel": "web", "lines": [{"sku": "LS-M", "quantity": 1}],
            "fulfillment": {"method": "pickup", "location": "shibuya"}}
    order = ok(shopper.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="checkout-1"), 201)
    again = shopper.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="checkout-1")
    assert again.status_code == 201 and again.json()["number"] == order["number"]
    assert again["Idempotent-Replayed"] == "true"
    number = order["number"]
    pickup_code = order["fulfillments"][0]["pickup_code"]

    def level_at_a() -> dict:
        [row] = ok(staff_a.get("/api/v1/stock-levels/", {"location": "shibuya", "sku": "LS-M"}))["results"]
        return row

    assert (level_at_a()["on_hand"], level_at_a()["reserved"], level_at_a()["available"]) == (3, 1, 2)

    # 4. store A's staff see it waiting, mark it ready; the customer gets the email
    waiting = ok(staff_a.get("/api/v1/orders/", {"location": "shibuya", "fulfillment_status": "reserved"}))
    assert [row["number"] for row in waiting["results"]] == [number]
    assert staff_b.post(f"/api/v1/orders/{number}/ready/").status_code == 404  # another store's order
    with django_capture_on_commit_callbacks(execute=True):
        ready = ok(staff_a.post(f"/api/v1/orders/{number}/ready/"))
    assert ready["fulfillments"][0]["status"] == "ready"
    [email] = [m for m in mailoutbox if pickup_code in m.body]
    assert email.to == ["hanako@example.jp"]
    mine = ok(shopper.get("/api/v1/me/"))["orders"]
    assert mine[0]["fulfillments"][0]["status"] == "ready"

    # 5. the customer comes in: staff find the order by pickup code, name or phone, and hand it over
    for query in (pickup_code, pickup_code.lower(), "山田", "山田 花子", "09012345678", "090-1234-5678"):
        found = ok(staff_a.get("/api/v1/orders/", {"q": query}))
        assert [row["number"] for row in found["results"]] == [number], query
    # to be paid at the store: no hand-over without the money, then cash through the till's tender step
    assert staff_a.post(f"/api/v1/orders/{number}/hand-over/").status_code == 400
    done = ok(staff_a.post(f"/api/v1/orders/{number}/hand-over/",
                           {"tenders": [{"kind": "cash", "amount": 10000}]}, format="json"))
    assert (done["status"], done["payment_status"]) == ("completed", "paid")

    # 6. stock at store A dropped through one ledger row
    assert (level_at_a()["on_hand"], level_at_a()["reserved"]) == (2, 0)
    sale = StockMovement.objects.get(location=world["store_a"], reason=MovementReason.SALE)
    assert (sale.quantity, sale.variant.sku) == (-1, "LS-M")
    assert ledger_balance(variant=sale.variant, location=world["store_a"]) == 2

    # 7. every step is on the customer's timeline
    [customer] = ok(hq.get("/api/v1/customers/", {"email": "hanako@example.jp"}))["results"]
    events = ok(hq.get(f"/api/v1/customers/{customer['id']}/events/"))["results"]
    kinds = [event["kind"] for event in reversed(events)]
    expected = [EventKind.SIGNED_UP, EventKind.CONSENT_CHANGED, EventKind.ORDER_PLACED, EventKind.ORDER_READY,
                EventKind.EMAIL_SENT, EventKind.PICKUP_COMPLETED]
    assert [kind for kind in kinds if kind in expected] == expected
    assert {event["subject"] for event in events if event["kind"] in (EventKind.ORDER_PLACED,
                                                                       EventKind.ORDER_READY,
                                                                       EventKind.PICKUP_COMPLETED)} == {
        f"order:{number}"}
