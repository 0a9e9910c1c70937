"""Identities: normalised values, one customer per (kind, value), the profile's email and phone
kept as identities, and the API (list, add, remove) with a clear 409 naming a claimed value."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from customers import identities, services
from customers.errors import IdentityClaimed, IdentityInUse
from customers.models import Customer, Identity, IdentityKind
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(("kind", "value", "stored"), [
    ("email", "  Hanako.Sato@Example.JP ", "hanako.sato@example.jp"),
    ("phone", "０９０－１２３４－５６７８", "09012345678"),
    ("phone", "+81 90 1234 5678", "09012345678"),
    ("loyalty_card", "１２３４ ５６７８-９０１２", "123456789012"),
    ("line", "U" + "0123456789abcdef" * 2, "U" + "0123456789abcdef" * 2),
    ("marketplace", "rakuten:ＡＢＣ１２３", "rakuten:ABC123"),
    ("browser", "ab" * 16, "ab" * 16),
])
def test_values_are_stored_in_one_normal_form(kind, value, stored):
    assert identities.identity_normalise(kind=kind, value=value) == stored


@pytest.mark.parametrize(("kind", "value", "field"), [
    ("email", "not-an-email", "value"),
    ("phone", "12345", "value"),
    ("phone", "090-1234-5678 内線3", "value"),
    ("loyalty_card", "12AB34", "value"),
    ("loyalty_card", "123", "value"),
    ("line", "u123", "value"),
    ("marketplace", "Rakuten abc", "value"),
    ("marketplace", "rakuten:", "value"),
    ("browser", "xyz", "value"),
    ("fax", "03-1234-5678", "kind"),
    ("email", "   ", "value"),
])
def test_malformed_values_are_refused_naming_the_field(kind, value, field):
    with pytest.raises(ValidationError) as refused:
        identities.identity_normalise(kind=kind, value=value)
    assert field in refused.value.message_dict


def test_sign_up_and_profile_changes_keep_email_and_phone_identities(shop):
    _user, customer = services.customer_sign_up(email="Hanako@Example.jp", password="pass-Word-123",
                                                family_name="佐藤", phone="090-1234-5678")
    assert set(customer.identities.values_list("kind", "value")) == {("email", "hanako@example.jp"),
                                                                      ("phone", "09012345678")}
    services.customer_update_profile(customer=customer, phone="０８０－９９９９－００００")
    assert set(customer.identities.values_list("kind", "value")) == {("email", "hanako@example.jp"),
                                                                      ("phone", "08099990000")}
    services.customer_email_change(customer=customer, email="hanako.new@example.jp")
    assert identities.identity_find(kind="email", value="HANAKO.NEW@example.jp") == customer
    assert identities.identity_find(kind="email", value="hanako@example.jp") is None
    created = services.customer_create(family_name="田中", email="tanaka@example.jp", phone="03-1111-2222")
    assert identities.identity_find(kind="phone", value="0311112222") == created


def test_an_email_another_customer_holds_is_refused_and_nothing_changes(shop):
    first = services.customer_create(family_name="田中", email="tanaka@example.jp")
    second = services.customer_create(family_name="鈴木", email="suzuki@example.jp")
    identities.identity_add(customer=first, kind="email", value="t.tanaka@example.jp", source="pos")
    with pytest.raises(ValidationError) as refused:
        services.customer_email_change(customer=second, email="T.Tanaka@example.jp")
    assert f"#{first.pk}" in refused.value.message_dict["email"][0]
    second.refresh_from_db()
    assert second.email == "suzuki@example.jp"
    with pytest.raises(IdentityClaimed) as claimed:
        identities.identity_add(customer=second, kind="email", value="TANAKA@example.jp", source="api")
    assert claimed.value.customer_id == first.pk
    assert Customer.objects.count() == 2


def test_a_household_shares_a_landline_and_the_duplicate_review_sees_it(shop):
    """A phone on two records is not refused (a family's home phone): the phone identity stays
    with the first record, and adding it as another record's identity is refused."""
    first = services.customer_create(family_name="田中", phone="03-1111-2222")
    second = services.customer_create(family_name="田中", given_name="次郎", phone="03-1111-2222")
    assert second.phone == "03-1111-2222"
    assert list(Identity.objects.filter(kind="phone", value="0311112222").values_list("customer_id", flat=True)) == [
        first.pk]
    with pytest.raises(IdentityClaimed) as claimed:
        identities.identity_add(customer=second, kind="phone", value="0311112222", source="api")
    assert claimed.value.customer_id == first.pk


def test_the_profile_s_own_email_cannot_be_removed_as_an_identity(shop):
    customer = services.customer_create(family_name="田中", email="tanaka@example.jp")
    with pytest.raises(IdentityInUse):
        identities.identity_remove(identity=customer.identities.get(kind="email"))
    card = identities.identity_add(customer=customer, kind="loyalty_card", value="1234 5678", source="pos")
    identities.identity_remove(identity=card)
    assert not customer.identities.filter(kind="loyalty_card").exists()
    assert list(AuditEntry.objects.filter(action__startswith="identity_").values_list("action", flat=True)
                .order_by("id")) == ["identity_add", "identity_remove"]


# --- API -------------------------------------------------------------------------------------------

def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_staff_list_add_and_remove_identities_through_the_api(shop, staff):
    customer = services.customer_create(family_name="田中", email="tanaka@example.jp")
    other = services.customer_create(family_name="鈴木")
    url = f"/api/v1/customers/{customer.pk}/identities/"
    hq = _api(staff["hq_marketer"])
    added = hq.post(url, {"kind": "line", "value": "U" + "ab" * 16, "source": "line-login"}, format="json")
    assert added.status_code == 201, added.json()
    assert hq.post(url, {"kind": "line", "value": "U" + "ab" * 16}, format="json").status_code == 200
    listed = hq.get(url).json()
    assert {(row["kind"], row["value"]) for row in listed} == {("email", "tanaka@example.jp"),
                                                               ("line", "U" + "ab" * 16)}
    claimed = hq.post(f"/api/v1/customers/{other.pk}/identities/", {"kind": "email", "value": "TANAKA@example.jp"},
                      format="json")
    assert claimed.status_code == 409
    body = claimed.json()
    assert body["code"] == "identity_claimed" and body["customer"] == customer.pk
    assert body["identity"] == {"kind": "email", "value": "tanaka@example.jp"} and "value" in body["errors"]
    bad = hq.post(url, {"kind": "phone", "value": "12"}, format="json")
    assert bad.status_code == 400 and "value" in bad.json()["errors"]
    line = customer.identities.get(kind="line")
    assert _api(staff["store_staff"]).delete(f"{url}{line.pk}/").status_code == 403
    assert hq.delete(f"{url}{line.pk}/").status_code == 204
    email = customer.identities.get(kind="email")
    assert hq.delete(f"{url}{email.pk}/").json()["code"] == "identity_in_use"
    assert _api(staff["store_staff"]).get(url).status_code == 200
    assert Identity.objects.filter(customer=other).count() == 0


def test_identities_of_one_customer_are_not_reachable_through_another(shop, staff):
    a = services.customer_create(family_name="田中", email="a@example.jp")
    b = services.customer_create(family_name="鈴木", email="b@example.jp")
    identity = a.identities.get()
    assert _api(staff["hq_marketer"]).delete(f"/api/v1/customers/{b.pk}/identities/{identity.pk}/").status_code == 404
    assert Identity.objects.filter(pk=identity.pk, kind=IdentityKind.EMAIL).exists()
    assert get_user_model().objects.count() > 0
