"""customer_merge: everything of the merged record moves to the survivor in one transaction, the
survivor's profile is filled but never overwritten, accounts and carts are combined, consent is
never granted by a merge, and the merge is recorded (record, audit, domain event)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from customers import merge
from customers.errors import CustomerAlreadyMerged, MergeCustomerNotFound, MergeSameCustomer
from customers.models import (
    ConsentRecord,
    Customer,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    Identity,
)
from customers.selectors import consent_state
from customers.services import consent_set, customer_create, customer_sign_up
from kernel.models import AuditEntry, DomainEvent
from orders import cart as carts
from orders.models import Cart, Order
from tests.console.conftest import place_pickup

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(staff):
    return staff["hq_marketer"]


@pytest.fixture
def pair(shop):
    """The same person twice: an online account, and a record made at the store counter."""
    _user, online = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                     given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                                     email_marketing=True, channel=shop.web)
    store = customer_create(email="yamada.h@example.com", family_name="山田", given_name="花子",
                            phone="090-1234-5678", postal_code="150-0001", prefecture="13",
                            address="渋谷区神宮前1-2-3", favourite_location=shop.store_a, preferred_size="M")
    return online, store


def backdate(records, minutes):
    """Ledger rows written ``minutes`` ago (the ledger is append-only: tests move time by update)."""
    ConsentRecord.objects.filter(pk__in=[r.pk for r in records]).update(
        created_at=timezone.now() - timedelta(minutes=minutes))


def test_merge_moves_every_kind_of_row_and_deletes_the_merged_record(shop, pair, hq):
    online, store = pair
    order = place_pickup(shop, location=shop.store_a, customer=store)
    Identity.objects.create(customer=store, kind="loyalty_card", value="LC-0001", source="pos")
    consent_set(customer=store, channel="sms", granted=True, source="pos")
    events = set(store.events.values_list("pk", flat=True))
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq, reason="Confirmed by phone")

    assert not Customer.objects.filter(pk=store.pk).exists()
    order.refresh_from_db()
    assert order.customer_id == online.pk
    assert events <= set(online.events.values_list("pk", flat=True))
    assert online.identities.filter(kind="loyalty_card", value="LC-0001").exists()
    assert ConsentRecord.objects.filter(customer=online, channel="sms", source="pos").exists()
    assert record.moved["orders"] == 1 and record.moved["events"] == len(events)
    assert record.moved["consent_records"] == 1
    assert record.merged_pk == store.pk and record.survivor_id == online.pk and record.reason == "Confirmed by phone"
    assert record.merged_snapshot["email"] == "yamada.h@example.com"
    assert sorted(record.merged_snapshot["identities"]) == [
        ["email", "yamada.h@example.com"], ["loyalty_card", "LC-0001"], ["phone", "09012345678"]]


def test_empty_fields_are_filled_and_nothing_is_overwritten(shop, pair, hq):
    online, store = pair
    Customer.objects.filter(pk=online.pk).update(preferred_size="L", sizes={"shoes": "24.5"}, interests=["tea"])
    Customer.objects.filter(pk=store.pk).update(sizes={"shoes": "25", "tops": "M"}, interests=["linen", "tea"])
    online.refresh_from_db()
    store.refresh_from_db()
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    online.refresh_from_db()
    assert online.email == "hanako@example.jp"  # the login stays
    assert online.preferred_size == "L"  # never overwritten
    assert (online.phone, online.postal_code, online.address) == ("090-1234-5678", "150-0001", "渋谷区神宮前1-2-3")
    assert online.favourite_location == shop.store_a
    assert online.sizes == {"shoes": "24.5", "tops": "M"} and online.interests == ["tea", "linen"]
    assert set(record.filled) >= {"phone", "postal_code", "address", "favourite_location", "sizes"}
    # the merged record's email stays a key of the person
    assert online.identities.filter(kind="email", value="yamada.h@example.com", source="merge").exists()


def test_an_address_is_taken_whole_or_not_at_all(shop, pair, hq):
    online, store = pair
    Customer.objects.filter(pk=online.pk).update(prefecture="27")  # they told us Osaka, no more
    online.refresh_from_db()
    merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    online.refresh_from_db()
    assert (online.prefecture, online.postal_code, online.address) == ("27", "", "")


def test_a_failure_in_the_middle_moves_nothing(shop, pair, hq, monkeypatch):
    online, store = pair
    order = place_pickup(shop, location=shop.store_a, customer=store)
    carts.cart_add(variant=shop.small, quantity=1, customer=store)
    consent_set(customer=store, channel="sms", granted=True, source="pos")
    before = {
        "events": store.events.count(), "consents": store.consent_records.count(),
    }

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge, "_merge_accounts", broken)  # after orders, events, consents, cart moved
    with pytest.raises(RuntimeError):
        merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    assert Customer.objects.filter(pk=store.pk).exists()
    order.refresh_from_db()
    assert order.customer_id == store.pk
    assert store.events.count() == before["events"] and store.consent_records.count() == before["consents"]
    assert Cart.objects.get(customer=store).lines.count() == 1
    assert not CustomerMerge.objects.exists() and not AuditEntry.objects.filter(action="customer_merge").exists()
    assert not DomainEvent.objects.filter(type="customers.customer_merged").exists()


def test_merge_is_audited_recorded_and_published(shop, pair, hq):
    online, store = pair
    place_pickup(shop, location=shop.store_a, customer=store)
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq, reason="same person")
    entry = AuditEntry.objects.get(action="customer_merge")
    assert entry.actor == hq and entry.object_id == str(online.pk) and entry.changes["merged"] == store.pk
    event = DomainEvent.objects.get(type="customers.customer_merged")
    assert event.payload == {"survivor_id": online.pk, "merged_id": store.pk, "merge_id": record.pk,
                             "moved": {k: v for k, v in record.moved.items() if isinstance(v, int)}}
    assert event.payload["moved"]["orders"] == 1
    assert merge.customer_merges(customer=online) == [record]


def test_bad_merges_are_refused_and_name_the_customer(pair, hq):
    online, store = pair
    with pytest.raises(MergeSameCustomer):
        merge.customer_merge(survivor=online, merged=online, acting_user=hq)
    ghost = Customer(pk=999999)
    with pytest.raises(MergeCustomerNotFound) as exc:
        merge.customer_merge(survivor=online, merged=ghost, acting_user=hq)
    assert "999999" in str(exc.value)
    merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    with pytest.raises(CustomerAlreadyMerged) as exc:
        merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    assert exc.value.survivor_pk == online.pk and str(store.pk) in str(exc.value)
    assert CustomerMerge.objects.count() == 1


# --- consent: a merge never grants what the person did not give -------------------------------

def test_a_later_withdrawal_on_the_merged_record_wins_over_an_earlier_grant(pair, hq):
    online, store = pair  # online opted in to email at sign-up
    backdate(online.consent_records.all(), 60)
    consent_set(customer=store, channel="email", granted=False, source="unsubscribe-link")
    rows = ConsentRecord.objects.count()
    merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    assert consent_state(customer=online)["email"] is False
    assert ConsentRecord.objects.count() == rows and not ConsentRecord.objects.filter(source="merge").exists()


def test_a_later_withdrawal_on_the_survivor_wins_over_an_earlier_grant(pair, hq):
    online, store = pair
    granted = consent_set(customer=store, channel="sms", granted=True, source="pos")
    backdate([granted], 60)
    consent_set(customer=online, channel="sms", granted=False, source="storefront")
    record = merge.customer_merge(survivor=store, merged=online, acting_user=hq)
    assert consent_state(customer=store)["sms"] is False
    assert record.consents["sms/marketing"]["source"] == "storefront"
    assert record.consents["sms/marketing"]["granted"] is False


def test_a_later_grant_on_either_side_holds_with_its_provenance(pair, hq):
    online, store = pair
    withdrawn = consent_set(customer=online, channel="line", granted=False, source="storefront")
    backdate([withdrawn], 60)
    granted = consent_set(customer=store, channel="line", granted=True, source="pos")
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    assert consent_state(customer=online)["line"] is True
    assert record.consents["line/marketing"] == {
        "granted": True, "source": "pos", "at": granted.created_at.isoformat(), "record": granted.pk, "by": None}
    # the rows kept their own source and time
    assert ConsentRecord.objects.get(pk=granted.pk).created_at == granted.created_at


def test_a_channel_only_one_side_decided_keeps_that_decision_and_others_stay_unasked(pair, hq):
    online, store = pair
    consent_set(customer=store, channel="postal", granted=False, source="pos")
    merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    state = consent_state(customer=online)
    assert state["postal"] is False and state["email"] is True
    assert "sms" not in state and "phone" not in state


# --- carts -----------------------------------------------------------------------------------

def test_both_carts_become_one_keeping_the_larger_quantity(shop, pair, hq):
    online, store = pair
    carts.cart_add(variant=shop.small, quantity=1, customer=online)
    carts.cart_add(variant=shop.small, quantity=3, customer=store)
    carts.cart_add(variant=shop.large, quantity=2, customer=store)
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    cart = Cart.objects.get(customer=online)
    assert dict(cart.lines.values_list("sku", "quantity")) == {shop.small.sku: 3, shop.large.sku: 2}
    assert Cart.objects.count() == 1 and record.moved["cart"] == "combined"


def test_the_merged_cart_is_taken_over_when_the_survivor_has_none(shop, pair, hq):
    online, store = pair
    carts.cart_add(variant=shop.large, quantity=2, customer=store)
    cart = Cart.objects.get(customer=store)
    merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    cart.refresh_from_db()
    assert cart.customer_id == online.pk and cart.lines.get().quantity == 2


# --- accounts --------------------------------------------------------------------------------

def test_both_accounts_the_survivors_login_stays_and_the_other_is_closed(shop, hq):
    user_a, a = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                 given_name="花子")
    user_b, b = customer_sign_up(email="hanako.work@example.jp", password="pass-Word-123", family_name="山田",
                                 given_name="花子")
    record = merge.customer_merge(survivor=a, merged=b, acting_user=hq)
    user_a.refresh_from_db()
    user_b.refresh_from_db()
    a.refresh_from_db()
    assert a.user == user_a and a.email == "hanako@example.jp" and user_a.is_active
    assert not user_b.is_active and not user_b.has_usable_password()
    assert user_b.email.endswith(".invalid")
    assert record.moved["account"] == "closed"
    # the freed address can sign up again, and it is still known as the person's
    assert a.identities.filter(kind="email", value="hanako.work@example.jp").exists()
    assert get_user_model().objects.filter(email="hanako.work@example.jp").count() == 0


def test_only_the_merged_record_has_an_account_it_moves_to_the_survivor(shop, pair, hq):
    online, store = pair
    user = online.user
    merge.customer_merge(survivor=store, merged=online, acting_user=hq)
    store.refresh_from_db()
    assert store.user == user and store.email == user.email == "hanako@example.jp"
    assert store.identities.filter(kind="email", value="yamada.h@example.com").exists()


# --- the queue after a merge ----------------------------------------------------------------

def test_the_reviewed_pair_is_marked_merged_and_a_dismissal_carries_over(shop, pair, hq):
    online, store = pair
    third = customer_create(email="other@example.jp", family_name="山田", given_name="一郎", phone="090-1234-5678")
    merge.duplicates_scan()
    store_third = DuplicateCandidate.objects.get(low_pk=store.pk, high_pk=third.pk)
    merge.duplicate_dismiss(candidate=store_third, acting_user=hq)
    record = merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    merged_pair = DuplicateCandidate.objects.get(low_pk=online.pk, high_pk=store.pk)
    assert merged_pair.status == DuplicateStatus.MERGED and merged_pair.merge == record
    carried = DuplicateCandidate.objects.get(low_pk=online.pk, high_pk=third.pk)
    assert carried.status == DuplicateStatus.DISMISSED
    merge.duplicates_scan()  # the survivor now has the third record's phone: still not proposed
    assert not merge.duplicates_open().exists()
    assert Order.objects.count() == 0


def test_a_merged_survivor_hands_its_history_on(pair, hq):
    online, store = pair
    third = customer_create(email="third@example.jp", family_name="山田", given_name="花子")
    first = merge.customer_merge(survivor=store, merged=third, acting_user=hq)
    second = merge.customer_merge(survivor=online, merged=store, acting_user=hq)
    assert merge.customer_merges(customer=online) == [second, first]
    assert second.moved["merges"] == 1
    with pytest.raises(CustomerAlreadyMerged) as exc:
        merge.customer_for_merge(third.pk)
    assert exc.value.survivor_pk == online.pk  # where the person's record is now


def test_every_table_pointing_at_a_customer_is_moved_or_handled():
    """A new table with a foreign key to Customer (another part of the system) is moved by the
    generic step; the ones the merge handles by name are left out of it."""
    generic = {model._meta.label_lower for model, _field, _one in merge._other_relations()}
    handled = {"orders.order", "orders.cart", "customers.customerevent", "customers.consentrecord",
               "customers.identity", "customers.customermerge", "customers.duplicatecandidate"}
    pointing = {rel.related_model._meta.label_lower for rel in Customer._meta.get_fields(include_hidden=True)
                if rel.auto_created and not rel.concrete}
    assert pointing - handled == generic
