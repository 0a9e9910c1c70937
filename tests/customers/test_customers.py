import pytest
from django.core.exceptions import ValidationError

from customers.models import ConsentRecord, Customer
from customers.selectors import consent_state, customer_search
from customers.services import consent_set, customer_sign_up
from kernel.japan import normalize_phone, search_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(db):
    _user, customer = customer_sign_up(email="Hanako@Example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                                       phone="０９０－１２３４－５６７８", email_marketing=True)
    return customer


def test_sign_up_records_consent_with_source_and_time(hanako):
    record = ConsentRecord.objects.get(customer=hanako)
    assert (record.channel, record.granted, record.source, record.source_detail) == (
        "email", True, "storefront", "storefront-signup")
    assert record.created_at is not None
    assert hanako.email == "hanako@example.jp"


def test_opt_out_is_a_new_ledger_row_and_repeats_are_ignored(hanako):
    consent_set(customer=hanako, channel="email", granted=False, source="storefront-account")
    assert consent_set(customer=hanako, channel="email", granted=False, source="storefront-account") is None
    assert consent_state(customer=hanako) == {"email": False}
    assert ConsentRecord.objects.filter(customer=hanako).count() == 2


def test_sign_up_with_a_taken_email_is_refused(hanako):
    with pytest.raises(ValidationError) as exc:
        customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="別人")
    assert "email" in exc.value.message_dict


def test_sign_up_attaches_to_a_customer_known_from_the_store(db):
    known = Customer.objects.create(email="taro@example.jp", family_name="佐藤")
    _user, customer = customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="佐藤")
    assert customer.pk == known.pk and Customer.objects.count() == 1


@pytest.mark.parametrize("query", ["山田", "やまだ", "ﾔﾏﾀﾞ", "ヤマダハナコ", "09012345678", "5678", "hanako@example.jp"])
def test_customer_search_by_name_kana_or_phone(hanako, query):
    assert list(customer_search(query=query)) == [hanako]


def test_normalisation_rules():
    assert normalize_phone("+81 90-1234-5678") == "09012345678"
    assert search_key("ﾔﾏﾀﾞ　花子") == search_key("やまだ花子")
