"""Erasure reaches what other parts of the system keep about the person: django-axes' login
records (at once) and the orders domain's free text (its consumer of customers.customer_erased)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Q

from customers import privacy
from customers.services import customer_sign_up
from kernel.events import event_consumers, events_consume
from kernel.models import AuditEntry, ConsumerCursor
from orders import services as orders
from orders.models import Fulfillment, Order, OrderEvent, OrderEventKind, OrderLine
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

EMAIL = "hanako@example.jp"
CONSUMER = "orders.customer_erased"
REASON = "山田花子様よりお電話。引っ越し（大阪市北区梅田1-1）のため不要とのこと"


def _sign_up(email, family_name):
    return customer_sign_up(email=email, password="pass-Word-123", family_name=family_name, given_name="花子")


def _order(shop, customer, email, name, *, reason=""):
    order = orders.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                               fulfillment=FulfillmentIn("pickup", "shibuya"),
                               contact=ContactIn(email=email, name=name, phone="090-1234-5678"))
    if reason:
        order = orders.order_cancel(order=order, reason=reason)
    return order


def _dispatch() -> int:
    return events_consume(consumer=CONSUMER)


# --- django-axes --------------------------------------------------------------------------------

def test_erasure_scrubs_login_records_under_the_customers_email(client, shop, staff, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True  # off here by default; an operator may turn it on
    user, customer = _sign_up(EMAIL, "山田")
    _other_user, _other = _sign_up("taro@example.jp", "佐藤")
    for username in (EMAIL, "taro@example.jp"):
        assert client.post("/account/login/", {"username": username, "password": "wrong"}).status_code == 200
    # the API's token login, from another address: its body names the account as "email"
    assert client.post("/api/v1/auth/token/", {"email": "HANAKO@example.jp ", "password": "wrong"},
                       content_type="application/json", REMOTE_ADDR="198.51.100.7").status_code in (400, 401)
    # successful sign-ins are not logged here (AXES_DISABLE_ACCESS_LOG); one from before that was
    AccessLog.objects.create(username=EMAIL, ip_address="203.0.113.9", user_agent="Mozilla/5.0",
                             http_accept="*/*", path_info="/account/login/")
    assert AccessAttempt.objects.filter(username=EMAIL).exists()
    assert AccessFailureLog.objects.filter(username=EMAIL).count() == 2
    assert AccessAttempt.objects.filter(username=EMAIL).count() == 2  # the storefront's and the API's

    privacy.customer_erase(customer=customer, acting_user=staff["administrator"], via="console")

    about_her = Q(username__iexact=EMAIL) | Q(username__icontains="hanako")
    assert not AccessAttempt.objects.filter(about_her).exists()
    assert not AccessFailureLog.objects.filter(about_her).exists()
    assert not AccessLog.objects.exists()  # her own successful sign-in: deleted
    # failed attempts still count towards the client address's lockout, without her address
    attempts = AccessAttempt.objects.filter(username=f"erased:{customer.pk}")
    assert sorted(a.failures_since_start for a in attempts) == [1, 1]
    assert all(a.ip_address and "hanako" not in a.post_data.lower() for a in attempts)
    assert AccessFailureLog.objects.filter(username=f"erased:{customer.pk}").count() == 2
    # someone else's are untouched
    assert AccessAttempt.objects.filter(username="taro@example.jp").count() == 1
    assert AuditEntry.objects.get(action="customer_erase").changes["login_attempts"] == 5  # 1 log, 2 attempts, 2 failures


# --- the orders domain -------------------------------------------------------------------------

def test_the_orders_consumer_is_declared_for_customer_erased():
    consumer = event_consumers()[CONSUMER]
    assert consumer.types == ("customers.customer_erased",)
    assert consumer.handler == "orders.privacy.customer_erased_handle"


def test_erasure_blanks_the_persons_free_text_in_orders_and_keeps_the_books(shop, staff):
    _user, customer = _sign_up(EMAIL, "山田")
    _other_user, other = _sign_up("taro@example.jp", "佐藤")
    cancelled = _order(shop, customer, EMAIL, "山田 花子", reason=REASON)
    kept = _order(shop, customer, EMAIL, "山田 花子")
    theirs = _order(shop, other, "taro@example.jp", "佐藤 太郎", reason="色違いに変更")
    lines_before = list(OrderLine.objects.order_by("id").values_list("order_id", "sku", "quantity", "unit_price",
                                                                     "tax_rate", "line_total"))
    totals_before = dict(Order.objects.values_list("pk", "total"))
    _dispatch()  # the consumer has caught up with everything before the erasure

    privacy.customer_erase(customer=customer, acting_user=staff["administrator"], via="console")
    # an order the erasure did not see (attached while it ran) still carries her name
    Order.objects.filter(pk=kept.pk).update(name="山田 花子", email=EMAIL, search_text="山田 花子 ヤマダ")
    Fulfillment.objects.filter(order=kept).update(address={"name": "山田 花子", "prefecture": "13",
                                                           "line1": "神宮前1-2-3"})
    assert OrderEvent.objects.get(order=cancelled, kind=OrderEventKind.CANCEL_REASON).data == {"reason": REASON}

    assert _dispatch() >= 1

    reason = OrderEvent.objects.get(order=cancelled, kind=OrderEventKind.CANCEL_REASON)
    assert reason.data == {}
    placed = OrderEvent.objects.get(order=cancelled, kind=OrderEventKind.PLACED)
    assert placed.data == {"backorder": False}  # facts stay
    kept.refresh_from_db()
    assert (kept.name, kept.email, kept.phone, kept.search_text) == ("", "", "", "")
    assert Fulfillment.objects.get(order=kept).address == {"prefecture": "13", "erased": True}
    # the books are unchanged, and someone else's order keeps its reason
    assert list(OrderLine.objects.order_by("id").values_list("order_id", "sku", "quantity", "unit_price",
                                                             "tax_rate", "line_total")) == lines_before
    assert dict(Order.objects.values_list("pk", "total")) == totals_before
    assert OrderEvent.objects.get(order=theirs, kind=OrderEventKind.CANCEL_REASON).data == {"reason": "色違いに変更"}
    theirs.refresh_from_db()
    assert theirs.name == "佐藤 太郎"
    entry = AuditEntry.objects.get(action="orders_anonymise_for_customers")
    assert entry.object_id == str(customer.pk) and entry.actor is None
    assert entry.changes == {"orders": 1, "addresses": 1, "order_events": 1}
    assert ConsumerCursor.objects.get(consumer=CONSUMER).handled == 1

    # handing the same erasure over again changes nothing and logs nothing more
    from orders.privacy import orders_anonymise_for_customers

    assert orders_anonymise_for_customers(customer_ids=[customer.pk]) == {"orders": 0, "addresses": 0,
                                                                         "order_events": 0}
    assert AuditEntry.objects.filter(action="orders_anonymise_for_customers").count() == 1


def test_the_consumer_never_touches_a_customer_who_was_not_erased(shop):
    _user, customer = _sign_up(EMAIL, "山田")
    order = _order(shop, customer, EMAIL, "山田 花子", reason=REASON)
    from orders.privacy import orders_anonymise_for_customers

    assert orders_anonymise_for_customers(customer_ids=[customer.pk]) == {"orders": 0, "addresses": 0,
                                                                         "order_events": 0}
    order.refresh_from_db()
    assert order.name == "山田 花子"
    assert OrderEvent.objects.get(order=order, kind=OrderEventKind.CANCEL_REASON).data == {"reason": REASON}
