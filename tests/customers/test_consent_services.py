"""Consent by channel and purpose: the ledger's provenance, the state now and at any time T,
and the set-based audience check (one query) agreeing with the per-customer answer."""

import importlib
import random
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers import consent
from customers.models import ConsentChannel, ConsentPurpose, ConsentRecord, Customer
from customers.services import consent_set, customer_create
from kernel.models import DomainEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(540))


@contextmanager
def at(moment: datetime):
    """Record ledger rows as if it were ``moment`` (``created_at`` is the time of recording)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def hanako():
    return customer_create(email="hanako@example.jp", family_name="山田", given_name="花子")


def test_a_grant_and_a_withdrawal_are_ledger_rows_with_their_provenance(hanako, staff):
    user = staff["hq_marketer"]
    granted = consent.consent_grant(customer=hanako, channel="sms", purpose="personalisation", source="pos",
                                    source_detail="渋谷店レジ", acting_user=user, ip_address="203.0.113.7",
                                    user_agent="POS/1.0")
    withdrawn = consent.consent_withdraw(customer=hanako, channel="sms", purpose="personalisation",
                                         source="unsubscribe", ip_address="2001:db8::1", user_agent="Mail")
    rows = list(hanako.consent_records.order_by("id").values_list(
        "channel", "purpose", "granted", "source", "source_detail", "acting_user", "ip_address", "user_agent"))
    assert rows == [("sms", "personalisation", True, "pos", "渋谷店レジ", user.pk, "203.0.113.7", "POS/1.0"),
                    ("sms", "personalisation", False, "unsubscribe", "", None, "2001:db8::1", "Mail")]
    assert granted.created_at <= withdrawn.created_at
    payloads = [e.payload for e in DomainEvent.objects.filter(type="customers.consent_changed").order_by("id")]
    assert [(p["channel"], p["purpose"], p["granted"], p["source"]) for p in payloads] == [
        ("sms", "personalisation", True, "pos"), ("sms", "personalisation", False, "unsubscribe")]
    events = hanako.events.filter(kind="consent_changed").order_by("id")
    assert [e.data["purpose"] for e in events] == ["personalisation", "personalisation"]


def test_the_same_decision_again_writes_no_row(hanako):
    assert consent.consent_grant(customer=hanako, channel="email", source="staff") is not None
    assert consent.consent_grant(customer=hanako, channel="email", source="api") is None
    assert hanako.consent_records.count() == 1


@pytest.mark.parametrize("change, field", [
    ({"channel": "fax"}, "channel"), ({"purpose": "profiling"}, "purpose"), ({"source": ""}, "source"),
    ({"source": "rumour"}, "source"),
])
def test_bad_input_names_the_field_and_stores_nothing(hanako, change, field):
    arguments = {"customer": hanako, "channel": "email", "purpose": "marketing", "source": "staff", **change}
    with pytest.raises(ValidationError) as caught:
        consent.consent_grant(**arguments)
    assert field in caught.value.message_dict
    assert not ConsentRecord.objects.exists() and not hanako.events.exists()


def test_default_is_no_consent_and_purposes_are_separate(hanako):
    assert consent.consent_allows(customer=hanako, channel="email") is False
    consent.consent_grant(customer=hanako, channel="email", purpose="analytics", source="storefront")
    assert consent.consent_allows(customer=hanako, channel="email", purpose="analytics") is True
    assert consent.consent_allows(customer=hanako, channel="email", purpose="marketing") is False
    assert consent.consent_allows(customer=hanako, channel="sms", purpose="analytics") is False


def test_transactional_messages_are_sent_whatever_the_marketing_consent(hanako, shop, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    """Withdrawn from every email purpose, the customer still gets the emails of their order."""
    from orders import services as orders
    from orders.services import FulfillmentIn, LineIn

    for purpose in ConsentPurpose.values:
        consent.consent_withdraw(customer=hanako, channel="email", purpose=purpose, source="unsubscribe")
    assert consent.consent_allows(customer=hanako, channel="email") is False
    with django_capture_on_commit_callbacks(execute=True):
        order = orders.order_place(channel=shop.web, customer=hanako, lines=[LineIn("LS-S", 1)],
                                   fulfillment=FulfillmentIn("pickup", shop.store_a.code))
    with django_capture_on_commit_callbacks(execute=True):
        orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    assert {message.to[0] for message in mailoutbox} == {hanako.email} and len(mailoutbox) == 2


def test_the_state_at_time_t_is_the_decision_in_force_then(hanako):
    with at(T0):
        consent.consent_grant(customer=hanako, channel="line", source="storefront")
    with at(T0 + timedelta(days=10)):
        consent.consent_withdraw(customer=hanako, channel="line", source="staff")
    with at(T0 + timedelta(days=20)):
        consent.consent_grant(customer=hanako, channel="line", source="pos")

    def allows(moment):
        return consent.consent_allows(customer=hanako, channel="line", at=moment)

    assert [allows(T0 - timedelta(seconds=1)), allows(T0), allows(T0 + timedelta(days=9)),
            allows(T0 + timedelta(days=10)), allows(T0 + timedelta(days=19)), allows(T0 + timedelta(days=21)),
            allows(None)] == [False, True, True, False, False, True, True]
    assert consent.consent_decision(customer=hanako, channel="line", at=T0 + timedelta(days=15)).source == "staff"
    assert consent.consent_decision(customer=hanako, channel="line", at=T0 - timedelta(days=1)) is None
    grid = consent.consent_grid(customer=hanako, at=T0 + timedelta(days=15))
    assert len(grid) == 20 and grid[("line", "marketing")].granted is False and grid[("email", "marketing")] is None


def _mixed_audience(count: int = 60) -> list[Customer]:
    rng = random.Random(8)
    customers = [customer_create(family_name=f"顧客{n}", email=f"c{n}@example.jp") for n in range(count)]
    for customer in customers:
        for _ in range(rng.randrange(0, 5)):
            moment = T0 + timedelta(days=rng.randrange(0, 30), minutes=rng.randrange(0, 600))
            with at(moment):
                consent.consent_decide(customer=customer, channel=rng.choice(["email", "sms"]),
                                       purpose=rng.choice(["marketing", "analytics"]), granted=rng.random() < 0.6,
                                       source=rng.choice(["storefront", "pos", "staff"]))
    return customers


def test_the_audience_check_equals_the_per_customer_answer_in_one_query(django_assert_num_queries):
    customers = _mixed_audience()
    # same-second ties are resolved by id, like the per-customer answer
    with at(T0 + timedelta(days=3)):
        consent.consent_grant(customer=customers[0], channel="email", source="staff")
        consent.consent_withdraw(customer=customers[0], channel="email", source="unsubscribe")
    moments = [None, T0 - timedelta(days=1), T0 + timedelta(days=3), T0 + timedelta(days=12, hours=5),
               T0 + timedelta(days=40)]
    checked = 0
    for channel in ("email", "sms", "line"):
        for purpose in ("marketing", "analytics"):
            for moment in moments:
                expected = {c.pk for c in customers
                            if consent.consent_allows(customer=c, channel=channel, purpose=purpose, at=moment)}
                with django_assert_num_queries(1):
                    got = set(consent.customers_consenting(channel=channel, purpose=purpose, at=moment)
                              .values_list("pk", flat=True))
                assert got == expected, (channel, purpose, moment)
                checked += len(expected)
    assert checked > 50  # the dataset really mixes grants and withdrawals


def test_the_annotation_tells_opted_out_from_never_asked_and_composes_with_other_filters():
    customers = _mixed_audience(30)
    annotated = consent.customers_with_consent(Customer.objects.filter(pk__in=[c.pk for c in customers[:20]]),
                                               channel="email", purpose="marketing")
    values = {c.pk: c.consent_granted for c in annotated}
    assert set(values) == {c.pk for c in customers[:20]}
    for customer in customers[:20]:
        record = consent.consent_decision(customer=customer, channel="email", purpose="marketing")
        assert values[customer.pk] == (record.granted if record else None)
    narrowed = consent.customers_consenting(Customer.objects.filter(email__startswith="c1"), channel="email")
    assert all(c.email.startswith("c1") for c in narrowed)
    via_q = set(Customer.objects.filter(consent.consent_q(channel="email")).values_list("pk", flat=True))
    assert via_q == set(consent.customers_consenting(channel="email").values_list("pk", flat=True))


def test_set_based_reads_refuse_unknown_channels_and_purposes():
    with pytest.raises(ValidationError) as caught:
        consent.customers_consenting(channel="fax")
    assert "channel" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        consent.customers_with_consent(channel="email", purpose="profiling")
    assert "purpose" in caught.value.message_dict


def test_the_older_consent_set_keeps_working_and_keeps_its_free_text_as_detail(hanako):
    record = consent_set(customer=hanako, channel="email", granted=True, source="storefront-signup")
    assert (record.source, record.source_detail, record.purpose) == ("storefront", "storefront-signup", "marketing")
    assert consent_set(customer=hanako, channel="email", granted=True, source="console") is None
    record = consent_set(customer=hanako, channel="email", granted=False, source="staff")
    assert (record.source, record.source_detail) == ("staff", "")


@pytest.mark.parametrize("text, source", [
    ("storefront-signup", "storefront"), ("storefront-account", "storefront"), ("storefront-checkout", "storefront"),
    ("api", "api"), ("api-me", "api"), ("app", "api"), ("console", "staff"), ("admin", "staff"), ("phone", "staff"),
    ("pos-signup", "pos"), ("campaign-form", "storefront"), ("preferences", "storefront"), ("csv import", "import"),
    ("postal-form", "storefront"), ("whatever", "staff"),
])
def test_old_free_text_sources_become_choices_the_same_way_in_the_migration(text, source):
    migration = importlib.import_module("customers.migrations.0006_consent")
    assert consent.consent_source_from_text(text) == source
    assert migration.source_from_text(text) == source


def test_the_migration_maps_stored_free_text_sources_and_keeps_the_text(hanako):
    from django.apps import apps as global_apps

    migration = importlib.import_module("customers.migrations.0006_consent")
    with mock.patch.object(ConsentRecord, "save", ConsentRecord.save):
        ConsentRecord.objects.bulk_create([
            ConsentRecord(customer=hanako, channel="email", granted=True, source="storefront-signup"),
            ConsentRecord(customer=hanako, channel="sms", granted=False, source="console"),
        ])
    migration.sources_to_choices(global_apps, None)
    assert sorted(hanako.consent_records.values_list("channel", "source", "source_detail")) == [
        ("email", "storefront", "storefront-signup"), ("sms", "staff", "console")]


def test_the_consent_changed_event_stays_backwards_compatible():
    from customers.domain_events import ConsentChanged

    old = ConsentChanged(customer_id=1, channel="email", granted=True, source="api")
    assert (old.purpose, old.source_detail) == (ConsentPurpose.MARKETING, "")
    assert ConsentChannel.PUSH in ConsentChannel.values
