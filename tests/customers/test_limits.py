"""A customer's phone number and prefecture are checked by every service that writes them,
so the console, the API (orders that create customers) and the admin share the rule."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_get_or_create_for_order, customer_sign_up, customer_update_profile
from kernel.japan import validate_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(db):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       phone="090-1234-5678")
    return customer


@pytest.mark.parametrize("phone", ["abc", "12", "090-1234-5678 携帯"])
def test_updating_a_profile_with_no_phone_number_is_refused(hanako, phone):
    with pytest.raises(ValidationError) as caught:
        customer_update_profile(customer=hanako, phone=phone)
    assert list(caught.value.message_dict) == ["phone"]
    assert Customer.objects.get(pk=hanako.pk).phone == "090-1234-5678"


def test_updating_a_profile_with_no_prefecture_is_refused(hanako):
    with pytest.raises(ValidationError) as caught:
        customer_update_profile(customer=hanako, prefecture="99")
    assert list(caught.value.message_dict) == ["prefecture"]


def test_a_customer_made_for_an_order_needs_a_phone_number_if_a_phone_is_given(db):
    with pytest.raises(ValidationError) as caught:
        customer_get_or_create_for_order(email="new@example.jp", family_name="新規", phone="abc")
    assert list(caught.value.message_dict) == ["phone"]
    assert customer_get_or_create_for_order(email="new@example.jp", family_name="新規", phone="").phone == ""


def test_signing_up_with_no_phone_number_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        customer_sign_up(email="new@example.jp", password="pass-Word-123", family_name="新規", phone="abc")
    assert "phone" in caught.value.message_dict


@pytest.mark.parametrize("phone", ["03-1234-5678", "０９０ー１２３４ー５６７８", "+81 90-1234-5678", "(03) 1234 5678",
                                   "090‐1234‐5678", "090−1234−5678"])
def test_phone_numbers_as_people_type_them_are_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["03-1234-5678 内線12", "tel:0312345678", "0312345678#", "abc"])
def test_phone_numbers_with_words_or_symbols_are_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)
