"""Profile, preferences and the address book: services, storefront pages (own data only), the
console's edit form and the API (400 naming the field, nothing partially stored)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import profile
from customers.models import Address, Customer
from customers.services import customer_sign_up
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db

ADDRESS = {"label": "自宅", "name": "山田 花子", "postal_code": "１５００００１", "prefecture": "東京都",
           "city": "渋谷区", "line1": "神宮前1-2-3", "line2": "ハイツ101", "phone": "03-1234-5678"}


def sign_up(email="hanako@example.jp", family_name="山田"):
    user, customer = customer_sign_up(email=email, password="pass-Word-123", family_name=family_name,
                                      given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ")
    return user, customer


@pytest.fixture
def hanako(db):
    return sign_up()


def test_address_is_normalised_and_the_first_becomes_default(hanako):
    user, customer = hanako
    address = profile.address_add(customer=customer, acting_user=user, **ADDRESS)
    assert (address.postal_code, address.prefecture, address.is_default) == ("150-0001", "13", True)
    second = profile.address_add(customer=customer, acting_user=user, **{**ADDRESS, "label": "勤務先"})
    assert not second.is_default
    profile.address_set_default(address=second, acting_user=user)
    assert list(customer.addresses.filter(is_default=True)) == [second]
    profile.address_delete(address=second, acting_user=user)
    address.refresh_from_db()
    assert address.is_default  # the remaining one takes over
    actions = set(AuditEntry.objects.filter(object_id=str(customer.pk)).values_list("action", flat=True))
    assert {"address_add", "address_set_default", "address_delete"} <= actions


@pytest.mark.parametrize("field, value", [("postal_code", "15-0001"), ("prefecture", "東京"),
                                          ("phone", "123"), ("name", "")])
def test_bad_address_names_the_field_and_stores_nothing(hanako, field, value):
    user, customer = hanako
    with pytest.raises(ValidationError) as exc:
        profile.address_add(customer=customer, acting_user=user, **{**ADDRESS, field: value})
    assert field in exc.value.message_dict
    assert not Address.objects.exists()


def test_profile_save_checks_everything_before_storing_anything(hanako):
    user, customer = hanako
    with pytest.raises(ValidationError) as exc:
        profile.customer_profile_save(customer=customer, acting_user=user, email="not-an-email",
                                      phone="０９０-１２３４-５６７８", sizes={"shoes": "２４．５"},
                                      addresses=[ADDRESS, {**ADDRESS, "postal_code": "x"}])
    assert set(exc.value.message_dict) == {"email", "addresses.1.postal_code"}
    customer.refresh_from_db()
    assert customer.phone == "" and customer.sizes == {} and not customer.addresses.exists()
    profile.customer_profile_save(customer=customer, acting_user=user, email="Hanako2@Example.jp",
                                  phone="０９０-１２３４-５６７８", sizes={"shoes": "２４．５", "tops": "M"},
                                  interests="リネン、お茶, リネン", addresses=[ADDRESS])
    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.email == user.email == "hanako2@example.jp"
    assert customer.phone_digits == "09012345678"
    assert customer.sizes == {"shoes": "24.5", "tops": "M"} and customer.interests == ["リネン", "お茶"]
    assert customer.addresses.get().postal_code == "150-0001"


def test_birthday_in_the_future_is_refused(hanako):
    import datetime

    user, customer = hanako
    with pytest.raises(ValidationError) as exc:
        profile.customer_profile_save(customer=customer, acting_user=user, birthday=datetime.date(2999, 1, 1))
    assert "birthday" in exc.value.message_dict


def test_storefront_profile_and_preferences_pages(client, hanako, shop):
    user, customer = hanako
    client.force_login(user)
    assert client.get(reverse("storefront:account_profile")).status_code == 200
    response = client.post(reverse("storefront:account_profile"), {
        "family_name": "山田", "given_name": "花子", "family_name_kana": "やまだ", "given_name_kana": "ﾊﾅｺ",
        "email": "hanako@example.jp", "phone": "abc", "birthday": "1990-04-01", "gender": "female"})
    assert response.status_code == 400 and "phone" in response.context["form"].errors
    response = client.post(reverse("storefront:account_profile"), {
        "family_name": "山田", "given_name": "花子", "family_name_kana": "やまだ", "given_name_kana": "ﾊﾅｺ",
        "email": "hanako@example.jp", "phone": "090-1234-5678", "birthday": "1990-04-01", "gender": "female"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.family_name_kana, customer.given_name_kana, str(customer.birthday)) == (
        "ヤマダ", "ハナコ", "1990-04-01")
    page = client.get(reverse("storefront:account_preferences"))
    assert page.status_code == 200 and b"/account/consent/" in page.content
    response = client.post(reverse("storefront:account_preferences"), {
        "sizes": "tops: M\nshoes：24.5", "interests": "linen, tea", "preferred_channel": "line", "language": "en",
        "favourite_location": shop.store_a.pk})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.sizes == {"tops": "M", "shoes": "24.5"} and customer.preferred_channel == "line"
    assert customer.favourite_location == shop.store_a
    assert customer.time_zone == ""  # not told: the shop's (Japan) time

    response = client.post(reverse("storefront:account_preferences"), {
        "language": "en", "time_zone": "America/Los_Angeles"})  # living abroad: quiet hours in their night
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.time_zone == "America/Los_Angeles"
    response = client.post(reverse("storefront:account_preferences"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400 and "time_zone" in response.context["form"].errors
    customer.refresh_from_db()
    assert customer.time_zone == "America/Los_Angeles"


def test_customers_see_and_change_only_their_own_addresses(client, hanako):
    user, customer = hanako
    other_user, other = sign_up("taro@example.jp", "佐藤")
    theirs = profile.address_add(customer=other, acting_user=other_user, **ADDRESS)
    client.force_login(user)
    response = client.post(reverse("storefront:account_addresses"), {**ADDRESS, "postal_code": "1500001",
                                                                      "prefecture": "13"})
    assert response.status_code == 302
    mine = customer.addresses.get()
    page = client.get(reverse("storefront:account_addresses"))
    assert "神宮前1-2-3" in page.content.decode() and page.context["addresses"] == [mine]
    assert client.get(reverse("storefront:account_address_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("storefront:account_address_delete", args=[theirs.pk])).status_code == 404
    assert Address.objects.filter(pk=theirs.pk).exists()
    assert client.post(reverse("storefront:account_address_delete", args=[mine.pk])).status_code == 302
    assert not customer.addresses.exists()


def test_pages_need_a_login(client):
    response = client.get(reverse("storefront:account_profile"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_changing_the_login_email_needs_the_current_password(client, hanako, shop):
    """A borrowed session alone cannot move the account to another address."""
    user, customer = hanako
    client.force_login(user)
    data = {"family_name": "山田", "given_name": "花子", "email": "thief@example.jp", "phone": "", "gender": ""}
    response = client.post(reverse("storefront:account_profile"), data)
    assert response.status_code == 400 and "current_password" in response.context["form"].errors
    response = client.post(reverse("storefront:account_profile"), {**data, "current_password": "wrong-Pass-999"})
    assert response.status_code == 400 and "current_password" in response.context["form"].errors
    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.email == user.email == "hanako@example.jp"
    response = client.post(reverse("storefront:account_profile"), {**data, "current_password": "pass-Word-123"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "thief@example.jp"


def test_password_reset_sends_a_branded_link_and_is_throttled(client, hanako, settings,
                                                             django_capture_on_commit_callbacks):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    url = reverse("storefront:password_reset")

    def post(data, **extra):  # the email is a task queued after commit (customers.account_tasks)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    assert client.get(url).status_code == 200
    response = post({"email": "hanako@example.jp"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 302 and response["Location"] == reverse("storefront:password_reset_done")
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/account/password-reset/" in line)
    response = client.get(link[link.index("/account/"):], follow=True)
    assert response.status_code == 200 and response.context["validlink"]
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "New-pass-Word-456",
                                                            "new_password2": "New-pass-Word-456"})
    assert response.status_code == 302
    user, _customer = hanako
    user.refresh_from_db()
    assert user.check_password("New-pass-Word-456")
    for _ in range(8):
        post({"email": "hanako@example.jp"})
    assert len(mail.outbox) == 5  # the limit per address and hour; the page answers the same
    post({"email": "nobody@example.jp"})
    assert len(mail.outbox) == 5


def test_staff_edit_covers_the_new_fields_and_addresses(client, staff, shop):
    customer = Customer.objects.create(family_name="佐藤", email="sato@example.jp")
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customer_edit", args=[customer.pk])
    assert client.get(url).status_code == 200
    data = {"family_name": "佐藤", "given_name": "", "family_name_kana": "サトウ", "given_name_kana": "",
            "phone": "", "postal_code": "", "prefecture": "", "address": "", "favourite_location": "",
            "preferred_size": "", "city": "大阪市", "birthday": "1985-02-03", "gender": "male", "language": "ja",
            "preferred_channel": "email", "sizes": "shoes: 27", "interests": "tea",
            "addresses-TOTAL_FORMS": "1", "addresses-INITIAL_FORMS": "0", "addresses-MIN_NUM_FORMS": "0",
            "addresses-MAX_NUM_FORMS": "20", "addresses-0-name": "佐藤", "addresses-0-postal_code": "530-0001",
            "addresses-0-prefecture": "27", "addresses-0-city": "大阪市北区", "addresses-0-line1": "梅田1-1",
            "addresses-0-label": "", "addresses-0-line2": "", "addresses-0-phone": "bad"}
    response = client.post(url, data)
    assert response.status_code == 400 and "phone" in response.context["formset"].forms[0].errors
    assert not customer.addresses.exists()
    response = client.post(url, {**data, "addresses-0-phone": "06-1234-5678"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.city == "大阪市" and customer.sizes == {"shoes": "27"} and customer.addresses.count() == 1
    entry = AuditEntry.objects.filter(action="customer_update_profile", object_id=str(customer.pk)).get()
    assert entry.actor == staff["hq_marketer"] and "sizes" in entry.changes


def test_api_update_with_addresses_and_bad_input(client, staff):
    customer = Customer.objects.create(family_name="佐藤", email="sato@example.jp")
    client.force_login(staff["hq_marketer"])
    url = f"/api/v1/customers/{customer.pk}/"
    bad = client.patch(url, {"phone": "０９０-１２３４-５６７８", "addresses": [ADDRESS, {**ADDRESS, "postal_code": "12"}]},
                       content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"addresses.1.postal_code"}
    customer.refresh_from_db()
    assert customer.phone == "" and not customer.addresses.exists()
    response = client.patch(url, {"phone": "０９０-１２３４-５６７８", "sizes": {"shoes": 24.5},
                                  "interests": ["linen"], "preferred_channel": "line", "addresses": [ADDRESS]},
                            content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["sizes"] == {"shoes": "24.5"} and body["addresses"][0]["postal_code"] == "150-0001"
    assert body["addresses"][0]["is_default"] is True
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root@example.jp", "pass-Word-123"))
    created = client.post("/api/v1/customers/", {"family_name": "鈴木", "email": "bad@", "addresses": [ADDRESS]},
                          content_type="application/json")
    assert created.status_code == 400 and "email" in created.json()["errors"]
    assert not Customer.objects.filter(family_name="鈴木").exists()
    created = client.post("/api/v1/customers/", {"family_name": "鈴木", "email": "suzuki@example.jp",
                                                  "addresses": [ADDRESS]}, content_type="application/json")
    assert created.status_code == 201 and len(created.json()["addresses"]) == 1
