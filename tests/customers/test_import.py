"""Importing customers, their consent ledgers and past touchpoints from the system a shop moves
from (customers_import, customer_events_import): at their own times, all or nothing, with every
bad row reported, and no domain events."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from customers import identities, services
from customers.errors import CustomerImportInvalid
from customers.models import ConsentRecord, Customer, CustomerEvent, EventKind
from customers.selectors import consent_state
from customers.services import ConsentImportIn, CustomerImportIn, EventImportIn
from kernel.errors import RowError
from kernel.models import AuditEntry, DomainEvent
from kernel.subjects import product_subject

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SINCE = NOW - timedelta(days=400)


def _row(n: int, **changes) -> CustomerImportIn:
    values = {"email": f"taro.{n}@example.jp", "family_name": "山田", "given_name": "太郎",
              "family_name_kana": "やまだ", "given_name_kana": "タロウ", "phone": "090-1234-5678",
              "postal_code": "1500001", "prefecture": "13", "address": "渋谷区神宮前1-2-3",
              "created_at": SINCE + timedelta(days=n)}
    return CustomerImportIn(**{**values, **changes})


def test_good_rows_become_customers_with_their_own_times_and_consent_ledgers(shop):
    opted_in, opted_out = SINCE + timedelta(days=1, minutes=5), NOW - timedelta(days=3)
    rows = [
        _row(0, favourite_location="shibuya", preferred_size="M", consents=[
            ConsentImportIn("email", True, opted_in, "pos-signup"), ConsentImportIn("email", False, opted_out)]),
        _row(1, email="", consents=[ConsentImportIn("line", True, SINCE + timedelta(days=2)),
                                    ConsentImportIn("email", True, SINCE + timedelta(days=2), purpose="analytics")]),
        _row(2, email="HANAKO@Example.jp", given_name="花子"),
    ]
    created = services.customers_import(rows=rows, source="legacy-pos-2026")

    assert [c.email for c in created] == ["taro.0@example.jp", None, "hanako@example.jp"]
    assert Customer.objects.count() == 3
    first = Customer.objects.get(email="taro.0@example.jp")
    assert first.created_at == SINCE
    assert (first.family_name_kana, first.postal_code, first.favourite_location, first.preferred_size) == (
        "ヤマダ", "150-0001", shop.store_a, "M")
    assert Customer.objects.search("山田 花子").get().email == "hanako@example.jp"  # search columns filled in
    ledger = list(first.consent_records.order_by("created_at").values_list("channel", "granted", "source",
                                                                             "source_detail", "created_at"))
    # Where the old system says the choice was made (a till), its words kept beside the import's name.
    assert ledger == [("email", True, "pos", "legacy-pos-2026: pos-signup", opted_in),
                      ("email", False, "import", "legacy-pos-2026", opted_out)]
    assert consent_state(customer=first) == {"email": False}
    assert list(first.events.order_by("occurred_at").values_list("kind", "occurred_at")) == [
        (EventKind.CONSENT_CHANGED, opted_in), (EventKind.CONSENT_CHANGED, opted_out)]
    assert ConsentRecord.objects.count() == 4 and CustomerEvent.objects.count() == 4
    assert ConsentRecord.objects.get(customer=created[1], channel="email").purpose == "analytics"
    assert AuditEntry.objects.filter(action="customers_import").count() == 3
    assert not DomainEvent.objects.filter(type__startswith="customers.").exists()  # history: no signed_up, no
    # consent_changed (the shop fixture's receipts published their own stock events)


def test_imported_customers_are_known_by_their_email_and_phone_and_profile_fields_are_kept(shop):
    household = services.customer_create(family_name="既存", email="taken@example.jp", phone="03-1111-2222")
    rows = [_row(0, phone="０９０（５５５５）０００１", city="渋谷区", birthday=SINCE.date(), gender="female",
                 sizes={"tops": "M", "shoes": "２４．５"}, interests=["リネン", "お茶"], preferred_channel="line"),
            _row(1, phone="03-1111-2222"),  # the household's landline: it stays the first record's
            _row(2, phone="090-5555-0001")]  # the same phone twice in one import: the first row's
    created = services.customers_import(rows=rows, source="legacy-pos")

    assert identities.identity_find(kind="email", value="TARO.0@example.jp") == created[0]
    assert identities.identity_find(kind="phone", value="090-5555-0001") == created[0]
    assert identities.identity_find(kind="email", value="taro.1@example.jp") == created[1]
    assert identities.identity_find(kind="phone", value="0311112222") == household
    assert set(created[2].identities.values_list("kind", flat=True)) == {"email"}
    first = Customer.objects.get(pk=created[0].pk)
    assert (first.city, first.birthday, first.gender, first.sizes, first.interests, first.preferred_channel) == (
        "渋谷区", SINCE.date(), "female", {"tops": "M", "shoes": "24.5"}, ["リネン", "お茶"], "line")


def test_one_bad_row_among_many_imports_nothing_and_every_bad_row_is_reported(shop):
    services.customer_create(family_name="既存", email="taken@example.jp")
    rows = [_row(n) for n in range(6)]
    rows[1] = _row(1, email="taken@example.jp")
    rows[2] = _row(2, phone="12345", family_name="")
    rows[3] = _row(3, created_at=NOW + timedelta(days=1), favourite_location="nowhere")
    rows[4] = _row(0)  # the same email as row 0
    rows[5] = _row(5, consents=[ConsentImportIn("fax", True, SINCE), ConsentImportIn("email", True, NOW + timedelta(hours=1)),
                                ConsentImportIn("email", True, SINCE + timedelta(days=6), purpose="spam")])

    with pytest.raises(CustomerImportInvalid) as exc:
        services.customers_import(rows=rows, source="legacy")

    found = {(e.row, e.field) for e in exc.value.errors}
    assert found == {(1, "email"), (2, "phone"), (2, "family_name"), (3, "created_at"), (3, "favourite_location"),
                     (4, "email"), (5, "consents.0.channel"), (5, "consents.0.at"), (5, "consents.1.at"),
                     (5, "consents.2.purpose")}
    assert all(isinstance(e, RowError) and e.message for e in exc.value.errors)
    assert exc.value.payload()["errors"]["rows.3.favourite_location"]
    assert list(Customer.objects.values_list("email", flat=True)) == ["taken@example.jp"]
    assert not ConsentRecord.objects.exists() and not CustomerEvent.objects.exists()
    assert not AuditEntry.objects.filter(action="customers_import").exists()


def test_past_touchpoints_keep_their_time_and_only_kinds_omnishop_writes_are_taken(shop):
    customer = services.customer_create(family_name="山田")
    then = NOW - timedelta(days=10)
    viewed = EventImportIn(customer=customer, kind=EventKind.PRODUCT_VIEWED, occurred_at=then, channel=shop.web,
                           subject=product_subject("linen-shirt"), data={"code": "linen-shirt", "name": "リネンシャツ"})
    services.customer_events_import(events=[viewed])
    assert list(customer.events.values_list("kind", "occurred_at")) == [(EventKind.PRODUCT_VIEWED, then)]

    refused = [
        EventImportIn(customer=customer, kind=EventKind.EMAIL_OPENED, occurred_at=then, subject="campaign:x"),
        EventImportIn(customer=customer, kind=EventKind.EMAIL_CLICKED, occurred_at=then),
        EventImportIn(customer=customer, kind=EventKind.EMAIL_SENT, occurred_at=then),
        EventImportIn(customer=customer, kind=EventKind.SIGNED_UP, occurred_at=then),
        EventImportIn(customer=customer, kind=EventKind.PRODUCT_VIEWED, occurred_at=then, data={"sku": "LS-S"}),
        EventImportIn(customer=customer, kind=EventKind.STORE_VISIT, occurred_at=then, location=shop.warehouse,
                      data={"note": "", "staff": "x", "staff_id": 1}),
        EventImportIn(customer=customer, kind=EventKind.PRODUCT_VIEWED, occurred_at=NOW + timedelta(days=1),
                      data={"code": "linen-shirt", "name": "リネンシャツ"}),
        viewed,
    ]
    with pytest.raises(CustomerImportInvalid) as exc:
        services.customer_events_import(events=refused)
    assert {(e.row, e.field) for e in exc.value.errors} == {
        (0, "kind"), (1, "kind"), (2, "kind"), (3, "kind"), (4, "data"), (5, "location"), (6, "occurred_at")}
    assert customer.events.count() == 1


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _payload(rows: list[dict]) -> dict:
    return {"source": "legacy-2026", "rows": rows}


def _api_row(n: int, **changes) -> dict:
    return {"email": f"api.{n}@example.jp", "family_name": "佐藤", "family_name_kana": "サトウ",
            "created_at": (SINCE + timedelta(days=n)).isoformat(),
            "consents": [{"channel": "email", "granted": True, "at": (SINCE + timedelta(days=n, hours=1)).isoformat()}],
            **changes}


def test_administrators_import_customers_through_the_api(shop, staff):
    response = _api(staff["administrator"]).post("/api/v1/customers/import/", _payload(
        [_api_row(0), _api_row(1, favourite_location="umeda")]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 2 and [c["email"] for c in body["customers"]] == ["api.0@example.jp", "api.1@example.jp"]
    customer = Customer.objects.get(pk=body["customers"][1]["id"])
    assert customer.created_at == SINCE + timedelta(days=1) and customer.favourite_location == shop.store_b
    record = customer.consent_records.get()
    assert (record.source, record.source_detail) == ("import", "legacy-2026")
    assert AuditEntry.objects.filter(action="customers_import", actor=staff["administrator"]).count() == 2


def test_the_api_import_answers_400_with_every_bad_row_and_imports_nothing(shop, staff):
    response = _api(staff["administrator"]).post("/api/v1/customers/import/", _payload(
        [_api_row(0), _api_row(1, email="not-an-email"), _api_row(2, phone="12"), _api_row(3)]), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"rows.1.email", "rows.2.phone"}
    assert not Customer.objects.exists()
    unparsable = _api(staff["administrator"]).post("/api/v1/customers/import/", _payload(
        [_api_row(0, created_at="yesterday")]), format="json")
    assert unparsable.status_code == 400 and set(unparsable.json()["errors"]) == {"rows.0.created_at"}


def test_only_administrators_may_import_customers(shop, staff):
    for role in ("hq_marketer", "store_staff", "customer"):
        response = _api(staff[role]).post("/api/v1/customers/import/", _payload([_api_row(0)]), format="json")
        assert response.status_code == 403, role
    root = get_user_model().objects.create_superuser("root@example.jp", "pass-Word-123")
    assert _api(root).post("/api/v1/customers/import/", _payload([_api_row(0)]), format="json").status_code == 201
    assert Customer.objects.count() == 1


def test_half_width_katakana_names_from_an_old_till_are_stored_full_width(shop):
    """ｺｳｼﾞ from a legacy POS: the voiced mark is a separate character no font draws with its
    letter, so names keep their spelling but not the till's half-width limit."""
    [customer] = services.customers_import(rows=[_row(0, family_name="ｲｼｲ", given_name="ｺｳｼﾞ ",
                                                      family_name_kana="ｲｼｲ")], source="legacy-pos")
    customer.refresh_from_db()
    assert (customer.family_name, customer.given_name, customer.family_name_kana) == ("イシイ", "コウジ", "イシイ")
    assert Customer.objects.search("コウジ").get() == customer
